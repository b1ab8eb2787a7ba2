/**
 * A connection URL as it may be logged or shown: the password (in the authority or as a `password` query
 * parameter) replaced by `***`. Anything that does not parse as a URL is not echoed at all.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()])
      if (/^(password|sslpassword|passfile)$/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
