/**
 * What a text field says about its length, read with it ("Up to 100 characters"). Fields that
 * say it carry no `maxlength`: a browser silently cuts pasted text at it, which is how
 * 200-character names lost their second half unnoticed. A longer text comes back with the form
 * and the server's message beside the field (the same limit as the API's 422) instead.
 */
export function lengthHint(max: number): string {
  return `Up to ${max} characters`;
}
