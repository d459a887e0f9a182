import { describe, expect, it } from 'vitest';
import { describeUnexpected } from './uncaught';

describe('describeUnexpected', () => {
  it('names the error and its frames but never repeats its message', () => {
    const e = new TypeError('password=hunter2 in a server text');
    const line = describeUnexpected(e);
    expect(line.startsWith('TypeError')).toBe(true);
    expect(line).toContain('uncaught.test.ts');
    expect(line).not.toContain('hunter2');
  });

  it('describes what is not an Error by its type only', () => {
    expect(describeUnexpected('hunter2')).toBe('a thrown string');
    expect(describeUnexpected(null)).toBe('a thrown null');
  });
});
