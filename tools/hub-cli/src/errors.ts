import type { Lang } from './i18n.js';

/** Exit codes: 0 ok, 1 error, 2 wrong usage, 3 `hub status` found something red. */
export const EXIT = { ok: 0, error: 1, usage: 2, red: 3 } as const;

/** An error the user can act on: said in both languages, with the exit code it ends the command with. */
export class HubCliError extends Error {
  constructor(
    readonly vi: string,
    readonly en: string,
    readonly exitCode: number = EXIT.error,
    options?: { cause?: unknown },
  ) {
    super(en, options);
    this.name = 'HubCliError';
  }
  say(lang: Lang): string {
    return lang === 'vi' ? this.vi : this.en;
  }
}
