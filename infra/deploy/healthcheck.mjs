// Container HEALTHCHECK (Dockerfile): liveness of a hub process, dependency-free (Node 20 fetch).
// Connectors answer on OPS_PORT, services on HTTP_PORT; HEALTHCHECK_URL overrides both.
const port = process.env.OPS_PORT || process.env.HTTP_PORT || '8080';
const url = process.env.HEALTHCHECK_URL || `http://127.0.0.1:${port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
