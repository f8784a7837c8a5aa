/**
 * All five simulated departments together: seeded from the generator, then kept changing by a
 * live loop. Used by `hub-departments serve` and startable from tests.
 */
import { appendFile } from 'node:fs/promises';
import type { Logger } from '@hub/log';
import { renderWorld, type RenderWorldOptions } from '../departments/render.js';
import { DEPARTMENT_IDS, type DepartmentId, type SourceRecord } from '../departments/types.js';
import { BusinessRegistrySimulator } from '../sim/business-registry.sim.js';
import { CivilStatusSimulator } from '../sim/civil-status.sim.js';
import { OneStopApi, type OneStopApiOptions } from '../sim/one-stop-api.js';
import { PolicePushClient, type PolicePushOptions } from '../sim/police-push.js';
import { SocialProtectionExporter } from '../sim/social-protection-files.js';
import type { DatabaseTarget } from '../sim/sql-store.js';
import type { DepartmentSimulator, GroundTruthCounts } from '../sim/types.js';

export interface DepartmentsOptions {
  world: RenderWorldOptions;
  civilStatus: DatabaseTarget;
  business: DatabaseTarget;
  oneStop: OneStopApiOptions;
  push: PolicePushOptions;
  fileDropDir: string;
  logger: Logger;
}

export interface LiveOptions {
  tickMs: number;
  changesPerTick: number;
  /** Truth rows of live changes are appended here. */
  truthFile?: string;
  onTick?: (counts: Record<DepartmentId, GroundTruthCounts>) => void | Promise<void>;
}

export class Departments {
  readonly civilStatus: CivilStatusSimulator;
  readonly business: BusinessRegistrySimulator;
  readonly oneStop: OneStopApi;
  readonly push: PolicePushClient;
  readonly files: SocialProtectionExporter;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: DepartmentsOptions) {
    this.civilStatus = new CivilStatusSimulator(options.civilStatus);
    this.business = new BusinessRegistrySimulator(options.business);
    this.oneStop = new OneStopApi(options.oneStop);
    const log = options.logger.child({ component: 'police-push' });
    this.push = new PolicePushClient({
      ...options.push,
      onResponse: (r) =>
        r.ok
          ? log.debug({ status: r.status, events: r.eventIds.length }, 'push_delivered')
          : log.warn({ status: r.status, error: r.error, events: r.eventIds.length }, 'push_failed'),
    });
    this.files = new SocialProtectionExporter({ dir: options.fileDropDir });
  }

  get all(): Record<DepartmentId, DepartmentSimulator> {
    return {
      'civil-status': this.civilStatus,
      'business-registry': this.business,
      'one-stop': this.oneStop,
      'police-residence': this.push,
      'social-protection': this.files,
    };
  }

  /** Starts every system, empties it and loads the generated world (batched per 500 households). */
  async startAndSeed(): Promise<void> {
    for (const sim of Object.values(this.all)) await sim.start();
    for (const sim of Object.values(this.all)) await sim.reset();
    let batch = Object.fromEntries(DEPARTMENT_IDS.map((d) => [d, [] as SourceRecord[]])) as Record<
      DepartmentId,
      SourceRecord[]
    >;
    let households = 0;
    const flush = async () => {
      for (const d of DEPARTMENT_IDS) await this.all[d].load(batch[d]);
      batch = Object.fromEntries(DEPARTMENT_IDS.map((d) => [d, [] as SourceRecord[]])) as Record<
        DepartmentId,
        SourceRecord[]
      >;
    };
    for (const { records } of renderWorld(this.options.world)) {
      for (const d of DEPARTMENT_IDS) batch[d].push(...records[d]);
      if (++households % 500 === 0) await flush();
    }
    await flush();
    await this.files.exportNow();
    this.options.logger.info(
      { people: this.options.world.people, seed: this.options.world.seed },
      'departments_seeded',
    );
  }

  async counts(): Promise<Record<DepartmentId, GroundTruthCounts>> {
    const out: Partial<Record<DepartmentId, GroundTruthCounts>> = {};
    for (const d of DEPARTMENT_IDS) out[d] = await this.all[d].counts();
    return out as Record<DepartmentId, GroundTruthCounts>;
  }

  /** One round of changes in every department. */
  async tickAll(changes: number, truthFile?: string): Promise<void> {
    for (const d of DEPARTMENT_IDS) {
      try {
        const result = await this.all[d].tick(changes);
        if (truthFile && result.truth.length > 0)
          await appendFile(truthFile, result.truth.map((t) => `${JSON.stringify(t)}\n`).join(''));
        this.options.logger.debug(
          { department: d, inserted: result.inserted, updated: result.updated, deleted: result.deleted },
          'department_ticked',
        );
      } catch (e: unknown) {
        this.options.logger.error({ department: d, err: e }, 'department_tick_failed');
      }
    }
  }

  /** Keeps producing changes every `tickMs` until `stop()`. */
  startLive(live: LiveOptions): void {
    const loop = async () => {
      await this.tickAll(live.changesPerTick, live.truthFile);
      await live.onTick?.(await this.counts());
    };
    const schedule = () => {
      this.timer = setTimeout(() => {
        this.running = loop().finally(() => {
          if (this.timer !== undefined) schedule();
        });
      }, live.tickMs);
    };
    schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const sim of Object.values(this.all)) await sim.stop();
  }
}
