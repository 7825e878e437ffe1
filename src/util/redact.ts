// Keeps credentials out of messages and logs: every URL spindle prints goes
// through here (docs/security.md).

/**
 * A connection URL with its user and password replaced by `***`, safe to
 * print. Works on URLs the URL parser refuses too (a password with `/` or
 * `#`, a stray space): everything between `//` and the last `@` is hidden.
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const start = url.indexOf('//');
  if (at === -1 || start === -1 || at < start) {
    // no credentials where a URL keeps them; still, never echo a parse-defeating blob whole
    return url.length > 200 ? `${url.slice(0, 197)}...` : url;
  }
  return `${url.slice(0, start + 2)}***${url.slice(at)}`;
}

/** A line of text with every URL in it passed through `redactUrl` (for messages that may quote one). */
export function redactUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => redactUrl(url));
}
