// Global setup of the end-to-end suite: one `vbx demo` for all tests, stopped at the end.
import type { TestProject } from 'vitest/node';
import { startDemo, type Demo } from './demo';

declare module 'vitest' {
  export interface ProvidedContext {
    demo: Demo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const demo = await startDemo();
  project.provide('demo', { url: demo.url, sim: demo.sim, user: demo.user, password: demo.password });
  return () => demo.stop();
}
