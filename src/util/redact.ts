// Keeps credentials out of messages and logs: every URL spindle prints goes
// through here (docs/security.md).

/**
 * A connection URL with its user and password replaced by `***`, safe to
 * print. Works on URLs the URL parser refuses too (a password with `/` or
 * `#`, a stray space): everything between `//` and the last `@` is hidden.
 * Without `//` (`user:pass@host`, the scheme forgotten), everything before
 * the last `@` is hidden.
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at === -1) {
    // no credentials where a URL keeps them; still, never echo a parse-defeating blob whole
    return url.length > 200 ? `${url.slice(0, 197)}...` : url;
  }
  const slashes = url.indexOf('//');
  const start = slashes !== -1 && slashes < at ? slashes + 2 : 0;
  const rest = url.slice(at);
  return `${url.slice(0, start)}***${rest.length > 200 ? `${rest.slice(0, 197)}...` : rest}`;
}

/** A line of text with every URL in it passed through `redactUrl` (for messages that may quote one). */
export function redactUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => redactUrl(url));
}
