// Calls to the API from the page: the browser adds the credentials it was given for the dashboard; the header
// `x-inferd-ui` lets the server accept them (see src/transport/http/ui/ui-credentials.ts).

export async function api(method, path, body) {
  const init = { method, headers: { 'x-inferd-ui': '1' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const started = performance.now();
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, error: `the server could not be reached (${err.message})`, ms: 0 };
  }
  const ms = performance.now() - started;
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const error = res.ok ? undefined : (json?.error ?? `${res.status} ${res.statusText}`);
  return { ok: res.ok, status: res.status, body: json, error, ms };
}
