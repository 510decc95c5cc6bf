/**
 * Keeps the client secret out of what we show and log. A provider's error
 * message or an HTTP library's error may quote the request, and the secret
 * travels in the form body (`client_secret_post`) or, base64-encoded, in the
 * `Authorization` header (`client_secret_basic`, RFC 6749 §2.3.1). Every
 * encoding is replaced, not only the plain one.
 */

/** A function that replaces the secret, in every encoding it travels in, with `[redacted]`. */
export function secretScrubber(clientId: string, secret: string): (text: string) => string {
  const forms = new Set<string>();
  if (secret.length > 0) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
    // RFC 6749 §2.3.1 Basic: base64(urlencode(id) ":" urlencode(secret)), and the naive form.
    forms.add(Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64'));
    forms.add(Buffer.from(`${clientId}:${secret}`).toString('base64'));
  }
  return (text) => {
    let out = text;
    for (const form of forms) out = out.split(form).join('[redacted]');
    return out;
  };
}
