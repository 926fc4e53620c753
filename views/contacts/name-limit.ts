/**
 * What a contact's name fields say about their length (src/contacts/contact-input.ts refuses
 * more, naming the field). The inputs carry no `maxlength`: a browser silently cuts pasted text
 * at it, which is how 200-character names used to lose their second half unnoticed; a longer
 * name now comes back with the form and the message beside the field instead.
 */
export const NAME_MAX = 100;
export const NAME_HINT = `Up to ${NAME_MAX} characters`;
