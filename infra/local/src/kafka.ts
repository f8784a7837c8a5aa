import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeKafka } from '@hub/kafka';
import type { InfraSettings } from './settings.js';
import {
  LauncherError,
  isPidAlive,
  isPortOpen,
  readPid,
  run,
  startDetached,
  tail,
  waitUntil,
} from './processes.js';
import { findJava, resolveClasspath } from './toolchain.js';

export interface KafkaPaths {
  readonly dir: string;
  readonly dataDir: string;
  readonly config: string;
  readonly log4j: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export function kafkaPaths(s: InfraSettings): KafkaPaths {
  const dir = join(s.runDir, 'kafka');
  return {
    dir,
    dataDir: join(dir, 'data'),
    config: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.properties'),
    logFile: join(s.runDir, 'logs', 'kafka.log'),
    pidFile: join(s.runDir, 'pids', 'kafka.pid'),
  };
}

function serverProperties(s: InfraSettings, p: KafkaPaths): string {
  // Single node, combined broker+controller, static quorum (no --standalone needed at format).
  // Bind and advertise 127.0.0.1, never `localhost`: Node resolves localhost to ::1 first.
  return `# Written by infra/local (do not edit: regenerated at each start)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${s.kafkaControllerPort}
listeners=PLAINTEXT://127.0.0.1:${s.kafkaPort},CONTROLLER://127.0.0.1:${s.kafkaControllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${s.kafkaPort},CONTROLLER://127.0.0.1:${s.kafkaControllerPort}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${p.dataDir}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Topics come from infra/topics.yaml through the admin API, never from a typo in a producer.
auto.create.topics.enable=false
# Small machine (2 cores).
num.network.threads=2
num.io.threads=2
log.cleaner.threads=1
`;
}

const LOG4J = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.oak.name = org.apache.kafka
logger.oak.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
`;

export function kafkaBrokers(s: InfraSettings): string {
  return `127.0.0.1:${s.kafkaPort}`;
}

export type StartOutcome = 'started' | 'already-running' | 'reused-external';

export async function ensureKafka(s: InfraSettings, log: (m: string) => void): Promise<StartOutcome> {
  const p = kafkaPaths(s);
  const brokers = [kafkaBrokers(s)];
  const ours = readPid(p.pidFile);
  if (ours !== undefined) {
    await waitUntil('kafka', () => probeKafka(brokers), {
      timeoutMs: s.startTimeoutMs,
      alive: () => isPidAlive(ours),
    }).catch((e: unknown) => {
      throw new LauncherError(
        'kafka',
        (e as Error).message,
        'Run `npm run infra:down` then `npm run infra:up`.',
        p.logFile,
      );
    });
    return 'already-running';
  }
  for (const port of [s.kafkaPort, s.kafkaControllerPort]) {
    if (await isPortOpen(port)) {
      if (port === s.kafkaPort && (await probeKafka(brokers))) {
        log(`a Kafka broker not started by this checkout answers on ${brokers[0]}; reusing it`);
        return 'reused-external';
      }
      throw new LauncherError(
        'kafka',
        `port ${port} on 127.0.0.1 is in use by another program.`,
        `Cổng đang bận. Stop that program (\`ss -ltnp | grep :${port}\` shows which) or choose other ports with HUB_KAFKA_PORT / HUB_KAFKA_CONTROLLER_PORT.`,
      );
    }
  }

  const java = await findJava(17, 'kafka', s.javaHome, 'JAVA_HOME');
  log(`resolving Apache Kafka ${s.kafkaVersion} jars from Maven Central (cached after the first time)`);
  const cp = await resolveClasspath(
    join(s.repoRoot, 'infra', 'local', 'maven', 'kafka-pom.xml'),
    s.cacheDir,
    { 'kafka.version': s.kafkaVersion },
    'kafka',
  );
  mkdirSync(p.dir, { recursive: true });
  mkdirSync(p.dataDir, { recursive: true });
  writeFileSync(p.config, serverProperties(s, p));
  writeFileSync(p.log4j, LOG4J);
  const logOpts = [`-Dlog4j2.configurationFile=${p.log4j}`, `-Dkafka.logs.dir=${join(s.runDir, 'logs')}`];

  if (!existsSync(join(p.dataDir, 'meta.properties'))) {
    // Format once; a formatted log dir is never reformatted (that would orphan every record).
    const clusterId = newClusterId();
    const r = await run(
      java.bin,
      [...logOpts, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', p.config],
      {
        timeoutMs: 120_000,
      },
    );
    if (r.code !== 0) {
      throw new LauncherError(
        'kafka',
        `formatting the storage failed:\n${r.stdout}${r.stderr}`,
        `Delete ${p.dataDir} and try again.`,
      );
    }
  }
  startDetached({
    command: java.bin,
    args: [
      `-Xms256m`,
      `-Xmx${s.kafkaHeap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true',
      ...logOpts,
      '-cp',
      cp,
      'kafka.Kafka',
      p.config,
    ],
    logFile: p.logFile,
    pidFile: p.pidFile,
  });
  const pid = readPid(p.pidFile);
  try {
    await waitUntil('kafka', () => probeKafka(brokers), {
      timeoutMs: s.startTimeoutMs,
      intervalMs: 500,
      alive: () => pid !== undefined && isPidAlive(pid),
    });
  } catch (e) {
    throw new LauncherError(
      'kafka',
      `${(e as Error).message}\n${tail(p.logFile, 15)}`,
      'Kafka did not become ready: read the log; a port conflict or a corrupt data folder are the usual causes.',
      p.logFile,
    );
  }
  return 'started';
}

/** The Kafka runtime classpath (broker, tools, logging), resolved from Maven Central and cached. */
export async function kafkaClasspath(
  s: InfraSettings,
): Promise<{ java: string; classpath: string; log4j: string }> {
  const java = await findJava(17, 'kafka', s.javaHome, 'JAVA_HOME');
  const classpath = await resolveClasspath(
    join(s.repoRoot, 'infra', 'local', 'maven', 'kafka-pom.xml'),
    s.cacheDir,
    { 'kafka.version': s.kafkaVersion },
    'kafka',
  );
  const log4j = kafkaPaths(s).log4j;
  if (!existsSync(log4j)) {
    mkdirSync(kafkaPaths(s).dir, { recursive: true });
    writeFileSync(log4j, LOG4J);
  }
  return { java: java.bin, classpath, log4j };
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64, as Kafka's own `Uuid.randomUuid()` makes them.
 * Like Kafka, never one that starts with '-': the storage tool's argument parser would read
 * `-t -abc…` as an option and fail with "expected one argument" (1 start in 64 did, in CI).
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
