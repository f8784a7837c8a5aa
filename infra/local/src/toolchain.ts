import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LauncherError, run } from './processes.js';

export interface JavaInstall {
  readonly bin: string;
  readonly major: number;
}

async function javaMajor(bin: string): Promise<number | undefined> {
  const r = await run(bin, ['-version'], { timeoutMs: 30_000 });
  if (r.code !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  if (!m?.[1]) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

function candidateHomes(preferred: readonly (string | undefined)[]): string[] {
  const homes = preferred.filter((h): h is string => typeof h === 'string' && h.length > 0);
  const jvmRoot = '/usr/lib/jvm';
  if (existsSync(jvmRoot)) {
    for (const name of readdirSync(jvmRoot).sort().reverse()) homes.push(join(jvmRoot, name));
  }
  return homes;
}

/**
 * Find a Java of at least `minMajor`: the explicit home first, then JAVA_HOME, then `java` on PATH,
 * then every JDK under /usr/lib/jvm (newest name first).
 */
export async function findJava(
  minMajor: number,
  component: string,
  explicitHome: string | undefined,
  envVarHint: string,
): Promise<JavaInstall> {
  const seen: string[] = [];
  const bins = [...candidateHomes([explicitHome, process.env.JAVA_HOME]).map((h) => join(h, 'bin', 'java'))];
  bins.splice(explicitHome ? 1 : 0, 0, 'java');
  for (const bin of bins) {
    if (bin !== 'java' && !existsSync(bin)) continue;
    const major = await javaMajor(bin);
    if (major === undefined) continue;
    seen.push(`${bin} (${major})`);
    if (major >= minMajor) return { bin, major };
  }
  throw new LauncherError(
    component,
    `needs Java ${minMajor} or newer; found ${seen.length ? seen.join(', ') : 'no Java at all'}.`,
    `Cần Java ${minMajor}+. Install one (e.g. \`apt-get install openjdk-${minMajor}-jre-headless\`, or a Temurin JDK under /usr/lib/jvm) or point ${envVarHint} at it.`,
  );
}

export async function requireMaven(): Promise<string> {
  const r = await run('mvn', ['-v'], { timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new LauncherError(
      'maven',
      'Apache Maven (`mvn`) is not on PATH; the launcher resolves Kafka and Apicurio from Maven Central with it.',
      'Cài Maven: `apt-get update && apt-get install -y maven`, then run the command again.',
    );
  }
  return 'mvn';
}

function mavenFailure(component: string, what: string, output: string): LauncherError {
  const errors = output
    .split('\n')
    .filter((l) => l.includes('[ERROR]'))
    .slice(0, 12)
    .join('\n');
  return new LauncherError(
    component,
    `Maven could not download ${what}:\n${errors || output.slice(-2000)}`,
    'Không tải được từ Maven Central. Check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml) and that the version exists; override it with HUB_KAFKA_VERSION / HUB_APICURIO_VERSION.',
  );
}

/**
 * Resolve the runtime classpath of a pom (Kafka's jars straight from ~/.m2). The result is cached
 * under the cache folder, keyed by the pom's content and version, so later starts do not call Maven.
 */
export async function resolveClasspath(
  pomFile: string,
  cacheDir: string,
  properties: Record<string, string>,
  component: string,
): Promise<string> {
  const key = createHash('sha256')
    .update(readFileSync(pomFile))
    .update(JSON.stringify(properties))
    .digest('hex')
    .slice(0, 16);
  const cached = join(cacheDir, `classpath-${component}-${key}.txt`);
  if (existsSync(cached)) {
    const cp = readFileSync(cached, 'utf8').trim();
    if (cp.split(':').every((jar) => existsSync(jar))) return cp;
  }
  const mvn = await requireMaven();
  mkdirSync(cacheDir, { recursive: true });
  const out = `${cached}.tmp`;
  const props = Object.entries(properties).map(([k, v]) => `-D${k}=${v}`);
  const r = await run(mvn, [
    '-B',
    '-q',
    '-f',
    pomFile,
    ...props,
    'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath',
    `-Dmdep.outputFile=${out}`,
  ]);
  if (r.code !== 0 || !existsSync(out))
    throw mavenFailure(component, `the ${component} jars`, r.stdout + r.stderr);
  renameSync(out, cached);
  return readFileSync(cached, 'utf8').trim();
}

/** Download a Maven artifact (e.g. a tar.gz distribution) into ~/.m2 and return its path. */
export async function fetchArtifact(
  groupId: string,
  artifactId: string,
  version: string,
  type: string,
  classifier: string,
  component: string,
): Promise<string> {
  const m2 = process.env.MAVEN_REPO_LOCAL ?? join(homedir(), '.m2', 'repository');
  const file = join(
    m2,
    ...groupId.split('.'),
    artifactId,
    version,
    `${artifactId}-${version}${classifier ? `-${classifier}` : ''}.${type}`,
  );
  if (existsSync(file)) return file;
  const mvn = await requireMaven();
  const coords = `${groupId}:${artifactId}:${version}:${type}${classifier ? `:${classifier}` : ''}`;
  const r = await run(mvn, [
    '-B',
    '-q',
    'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get',
    `-Dartifact=${coords}`,
    '-Dtransitive=false',
  ]);
  if (r.code !== 0 || !existsSync(file)) throw mavenFailure(component, coords, r.stdout + r.stderr);
  return file;
}

/** Unpack a tar.gz once into `dest` (atomically: a half-unpacked folder never looks complete). */
export async function unpackOnce(
  archive: string,
  dest: string,
  marker: string,
  component: string,
): Promise<void> {
  if (existsSync(join(dest, marker))) return;
  const tmp = `${dest}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await run('tar', ['-xzf', archive, '-C', tmp]);
  if (r.code !== 0 || !existsSync(join(tmp, marker))) {
    throw new LauncherError(
      component,
      `could not unpack ${archive}: ${r.stderr}`,
      'Delete the archive from ~/.m2 and run again to download it afresh.',
    );
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  writeFileSync(join(dest, '.unpacked-from'), archive);
}
