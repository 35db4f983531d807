import { describe, expect, it } from 'vitest';
import { parseCommands } from './parse-commands.js';

describe('parseCommands', () => {
  it('finds a bare command', () => {
    expect(parseCommands('/approve')).toEqual([{ name: 'approve', args: '' }]);
  });

  it('is case-insensitive and keeps the argument text', () => {
    expect(parseCommands('Thanks!\n/REJECT   the spec misses error handling  \n')).toEqual([
      { name: 'reject', args: 'the spec misses error handling' },
    ]);
  });

  it('finds several commands in order and keeps a repeated one once', () => {
    expect(parseCommands('/pause\nsome text\n/status\n/pause')).toEqual([
      { name: 'pause', args: '' },
      { name: 'status', args: '' },
    ]);
  });

  it('ignores quoted lines', () => {
    expect(parseCommands('> /approve\n>/stop\nI disagree')).toEqual([]);
  });

  it('ignores fenced code blocks with backticks and tildes', () => {
    const body = ['```', '/approve', '```', '~~~~', '/stop', '```', 'still code', '~~~~', '/retry'];
    expect(parseCommands(body.join('\n'))).toEqual([{ name: 'retry', args: '' }]);
  });

  it('treats an unclosed fence as code to the end', () => {
    expect(parseCommands('```sh\n/approve')).toEqual([]);
  });

  it('ignores unknown commands, commands mid-line and paths', () => {
    expect(parseCommands('/approved\nplease /approve\n/usr/bin/env\n/ approve')).toEqual([]);
  });

  it('handles CRLF line endings and leading spaces', () => {
    expect(parseCommands('hello\r\n   /escalate   \r\n')).toEqual([{ name: 'escalate', args: '' }]);
  });

  it('accepts every documented command', () => {
    const names = ['approve', 'reject', 'retry', 'stop', 'pause', 'resume', 'status', 'escalate'];
    expect(parseCommands(names.map((n) => `/${n}`).join('\n')).map((c) => c.name)).toEqual(names);
  });
});
