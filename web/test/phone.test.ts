import { describe, expect, it } from 'vitest';
import { matchContacts, resolveDialTarget } from '../src/phone';

const contacts = [
  { number: '+15550001111', name: 'Alice Smith' },
  { number: '+15550002222', name: 'Bob Alison' },
  { number: '+15550003333', name: 'Carol' },
];

describe('dialling by name or number', () => {
  it('dials a typed number, naming the contact when it is one', () => {
    expect(resolveDialTarget('555 000 3333', contacts, '+1')).toEqual({ number: '+15550003333', name: 'Carol' });
    expect(resolveDialTarget('(555) 987-6543', contacts, '+1')).toEqual({ number: '+15559876543', name: null });
  });
  it('dials the best contact match for a name', () => {
    expect(resolveDialTarget('ali', contacts, '+1')).toEqual({ number: '+15550001111', name: 'Alice Smith' });
    expect(resolveDialTarget('smi', contacts, '+1')).toEqual({ number: '+15550001111', name: 'Alice Smith' });
  });
  it('has nothing to dial for an unknown name or a partial number', () => {
    expect(resolveDialTarget('zed', contacts, '+1')).toBeNull();
    expect(resolveDialTarget('55', contacts, '+1')).toBeNull();
  });
  it('ranks name prefixes before word prefixes before substrings', () => {
    expect(matchContacts('ali', contacts).map((c) => c.name)).toEqual(['Alice Smith', 'Bob Alison']);
    expect(matchContacts('rol', contacts).map((c) => c.name)).toEqual(['Carol']);
  });
  it('suggests contacts by the digits of their number', () => {
    expect(matchContacts('2222', contacts).map((c) => c.name)).toEqual(['Bob Alison']);
    expect(matchContacts('22', contacts)).toEqual([]);
  });
});
