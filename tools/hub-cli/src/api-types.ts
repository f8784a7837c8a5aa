/** The shapes of the steward console's JSON API that `hub` reads (services/steward-console README). */
export type Light = 'green' | 'amber' | 'red';

export interface Reason {
  readonly code: string;
  readonly light: Light;
  readonly subject: string;
  readonly vi: string;
  readonly en: string;
}

export interface DeadLetterSummary {
  readonly topic: string;
  readonly connectorId: string;
  readonly open: number;
  readonly replayed: number;
  readonly topReasons: readonly { readonly reason: string; readonly count: number }[];
}

export interface SourceJson {
  readonly connectorId: string;
  readonly connectorKind: string;
  readonly sourceSystem: string;
  readonly status: Light;
  readonly reasons: readonly Reason[];
  readonly state: string;
  readonly lastHeartbeatAt: string;
  readonly heartbeatAgeSeconds: number;
  readonly cursor: string | null;
  readonly throughput: { readonly readPerMinute: number; readonly publishedPerMinute: number };
  readonly freshness: { readonly ageSeconds: number | null; readonly sloSeconds: number };
  readonly reconciliation: {
    readonly sourceCount: number | null;
    readonly hubCount: number;
    readonly difference: number | null;
  };
  readonly deadLetters: DeadLetterSummary | null;
  readonly lastError: string | null;
}

export interface HealthJson {
  readonly status: Light;
  readonly summary: { readonly vi: string; readonly en: string };
  readonly reasons: readonly Reason[];
  readonly at: string;
  readonly sources: readonly SourceJson[];
  readonly consumers: readonly {
    readonly groupId: string;
    readonly topic: string;
    readonly lag: number;
    readonly light: Light;
  }[];
}

export interface DeadLetterJson {
  readonly id: number;
  readonly dlq: string;
  readonly connectorId: string;
  readonly reason: string;
  readonly error: string | null;
  readonly source: string | null;
  readonly deadLetteredAt: string;
  readonly key: string | null;
  readonly replays: number;
}

export type DecodedValue =
  | { readonly kind: 'avro'; readonly schemaId: number; readonly json: string }
  | { readonly kind: 'text'; readonly text: string; readonly note?: string }
  | { readonly kind: 'hex'; readonly hex: string; readonly note?: string }
  | { readonly kind: 'empty' };

export interface DeadLetterListJson {
  readonly items: readonly DeadLetterJson[];
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
  readonly summaries: readonly DeadLetterSummary[];
}

export interface ReplayJson {
  readonly results: readonly {
    readonly id: number;
    readonly ok: boolean;
    readonly target?: string;
    readonly error?: { readonly code: string; readonly message: string };
  }[];
  readonly replayed: number;
  readonly refused: number;
}
