// The login page: name and password, with the server's refusal shown under the form.

import { useState } from 'preact/hooks';
import { useApp } from './context';

export function Login() {
  const { app } = useApp();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (name.trim() === '' || password === '') {
      setError('Enter your name and password.');
      return;
    }
    setBusy(true);
    setError(null);
    const err = await app.login(name.trim(), password);
    setBusy(false);
    if (err) {
      setError(err);
      setPassword('');
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined} noValidate>
        <h1>
          <img src="/favicon.svg" alt="" /> vbx
        </h1>
        <p class="muted">Log in to your phone.</p>
        <label class="field">
          <span>Name</span>
          <input class="input" name="name" autocomplete="username" autoFocus value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Password</span>
          <input class="input" name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error-text" id="login-error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary" type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
