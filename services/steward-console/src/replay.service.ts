import type { Knex } from 'knex';
import { errorMessage, isAppError } from '@hub/errors';
import type { Logger } from '@hub/log';
import type { Replayer } from './bus/replayer.js';
import type { AccessRepository } from './db/access.repository.js';
import type { DeadLetterRepository } from './db/dead-letter.repository.js';
import { formatCoordinates, replayMessage } from './domain/dead-letter.js';
import type { Metrics } from './metrics.js';

export interface ReplayResult {
  readonly id: number;
  readonly ok: boolean;
  /** Where the original bytes were written (`topic/partition/offset`). */
  readonly target?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ReplayDeps {
  readonly db: Knex;
  readonly deadLetters: DeadLetterRepository;
  readonly access: AccessRepository;
  readonly replayer: Replayer;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * Replay = the original key and bytes back onto the original topic with `hub-replay-of`, recorded
 * with who and when. The replay row is claimed, the message sent and the audit entry written in
 * one transaction: a failed send leaves no record (it can be tried again), and a dead letter that
 * was replayed is refused unless an admin forces it.
 */
export class ReplayService {
  constructor(private readonly d: ReplayDeps) {}

  async replay(ids: readonly number[], actor: { username: string }, opts: { force: boolean; reason: string | null }): Promise<ReplayResult[]> {
    const results: ReplayResult[] = [];
    for (const id of ids) results.push(await this.one(id, actor, opts));
    return results;
  }

  private async one(id: number, actor: { username: string }, opts: { force: boolean; reason: string | null }): Promise<ReplayResult> {
    try {
      const target = await this.d.db.transaction(async (trx) => {
        const letter = await this.d.deadLetters.get(id);
        const message = replayMessage(letter);
        const replayId = await this.d.deadLetters.claimReplay(trx, id, actor.username, opts.reason, message.topic, opts.force);
        const sent = await this.d.replayer.send(message);
        const coords = { topic: message.topic, partition: sent.partition, offset: sent.offset };
        await this.d.deadLetters.completeReplay(trx, replayId, coords);
        await this.d.access.audit(
          {
            username: actor.username,
            action: opts.force ? 'dead_letter_replayed_forced' : 'dead_letter_replayed',
            target: formatCoordinates(letter.dlq),
            outcome: 'ok',
            reason: opts.reason,
            details: { deadLetterId: id, to: formatCoordinates(coords), reasonCode: letter.reason },
          },
          trx,
        );
        return formatCoordinates(coords);
      });
      this.d.metrics.replays.inc({ outcome: 'ok' });
      this.d.logger.info({ deadLetterId: id, target, by: actor.username }, 'dead_letter_replayed');
      return { id, ok: true, target };
    } catch (e) {
      const code = isAppError(e) ? e.code : 'INTERNAL';
      this.d.metrics.replays.inc({ outcome: code === 'CONFLICT' ? 'refused' : 'failed' });
      await this.d.access.audit({
        username: actor.username,
        action: 'dead_letter_replayed',
        target: String(id),
        outcome: code === 'CONFLICT' ? 'refused' : 'failed',
        reason: opts.reason,
        details: { deadLetterId: id, error: errorMessage(e) },
      });
      this.d.logger.warn({ deadLetterId: id, code, err: errorMessage(e) }, 'dead_letter_replay_failed');
      return { id, ok: false, error: { code, message: errorMessage(e) } };
    }
  }
}
