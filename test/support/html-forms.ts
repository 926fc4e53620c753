/**
 * The forms of a page as a browser without JavaScript sees them, and what it sends when one is
 * submitted (the HTML "constructing the entry list" algorithm, for the controls our pages use).
 * Parsing is Bun's HTMLRewriter (lol-html), the same tokenizer family browsers follow.
 */

export interface FormOption {
  value: string;
  label: string;
  selected: boolean;
  disabled: boolean;
}

/** A control as the page declares it: `input`, `select`, `textarea` or `button`. */
export interface FormControl {
  tag: "input" | "select" | "textarea" | "button";
  name: string;
  /** Lower-case: an input's type ("text" by default), "select", "textarea", a button's type ("submit" by default). */
  type: string;
  /** The value attribute (or a textarea's text); for a button with no value, "". */
  value: string;
  /** A button's text, for finding it the way a person would. */
  label: string;
  checked: boolean;
  disabled: boolean;
  required: boolean;
  multiple: boolean;
  options: FormOption[];
  attributes: Record<string, string>;
}

export interface HtmlForm {
  id: string;
  /** The action as written (entities decoded); "" means the page's own URL. */
  action: string;
  method: "get" | "post";
  noValidate: boolean;
  attributes: Record<string, string>;
  /** Its controls in document order, including those outside it that name it in a `form` attribute. */
  controls: FormControl[];
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** Decodes the character references our templates emit (lol-html hands attribute values over raw). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#")
      return String.fromCodePoint(
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1)),
      );
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function attributesOf(element: HTMLRewriterTypes.Element): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of element.attributes) attributes[name.toLowerCase()] = decodeEntities(value);
  return attributes;
}

function control(tag: FormControl["tag"], a: Record<string, string>): FormControl {
  const type =
    tag === "input"
      ? (a.type ?? "text").toLowerCase()
      : tag === "button"
        ? (a.type ?? "submit").toLowerCase()
        : tag;
  return {
    tag,
    name: a.name ?? "",
    type,
    value: a.value ?? "",
    label: "",
    checked: "checked" in a,
    disabled: "disabled" in a,
    required: "required" in a,
    multiple: "multiple" in a,
    options: [],
    attributes: a,
  };
}

/** Every form of `html` a person sees without JavaScript (none inside a closed dialog), with its controls. */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  /** Controls in document order with the form that owns them (by nesting or by `form` attribute). */
  const placed: { control: FormControl; owner: HtmlForm | string | undefined }[] = [];
  let open: HtmlForm | undefined;
  let select: FormControl | undefined;
  let option: FormOption | undefined;
  let textual: FormControl | undefined;
  // Inside a closed <dialog> nothing is shown or can be used until a script opens it: without
  // JavaScript its forms do not exist for a person (the board's shared "Move to…" dialog).
  let closedDialogs = 0;
  const place = (c: FormControl) => {
    if (closedDialogs === 0) placed.push({ control: c, owner: c.attributes.form ?? open });
  };

  new HTMLRewriter()
    .on("dialog", {
      element(element) {
        if (element.hasAttribute("open")) return;
        closedDialogs++;
        element.onEndTag(() => {
          closedDialogs--;
        });
      },
    })
    .on("form", {
      element(element) {
        if (closedDialogs > 0) return;
        const a = attributesOf(element);
        const form: HtmlForm = {
          id: a.id ?? "",
          action: a.action ?? "",
          method: (a.method ?? "get").toLowerCase() === "post" ? "post" : "get",
          noValidate: "novalidate" in a,
          attributes: a,
          controls: [],
        };
        forms.push(form);
        open = form;
        element.onEndTag(() => {
          open = undefined;
        });
      },
    })
    .on("input", {
      element(element) {
        place(control("input", attributesOf(element)));
      },
    })
    .on("textarea", {
      element(element) {
        textual = control("textarea", attributesOf(element));
        place(textual);
      },
      text(chunk) {
        if (textual) textual.value += decodeEntities(chunk.text);
      },
    })
    .on("button", {
      element(element) {
        textual = control("button", attributesOf(element));
        place(textual);
      },
      text(chunk) {
        if (textual) textual.label += decodeEntities(chunk.text);
      },
    })
    .on("select", {
      element(element) {
        select = control("select", attributesOf(element));
        place(select);
        element.onEndTag(() => {
          select = undefined;
        });
      },
    })
    .on("option", {
      element(element) {
        const a = attributesOf(element);
        option = { value: a.value ?? "", label: "", selected: "selected" in a, disabled: "disabled" in a };
        if (a.value === undefined) (option as FormOption & { textIsValue?: boolean }).textIsValue = true;
        select?.options.push(option);
      },
      text(chunk) {
        if (!option) return;
        option.label += decodeEntities(chunk.text);
        if ((option as FormOption & { textIsValue?: boolean }).textIsValue)
          option.value = option.label.trim();
      },
    })
    .transform(html);

  for (const { control: c, owner } of placed) {
    const form = typeof owner === "string" ? forms.find((f) => f.id === owner) : owner;
    if (c.tag === "button") c.label = c.label.trim();
    // The parser drops one newline right after <textarea>.
    if (c.tag === "textarea") c.value = c.value.replace(/^\r?\n/, "");
    form?.controls.push(c);
  }
  return forms;
}

/** What a person does to a form before submitting: text typed by name, options picked, boxes ticked. */
export type FormFill = Record<string, string | string[] | boolean>;

const TEXT_TYPES = new Set([
  "text",
  "email",
  "search",
  "tel",
  "url",
  "number",
  "date",
  "time",
  "datetime-local",
  "password",
  "color",
  "month",
  "week",
]);

/**
 * Applies `fill` the way a person can: typing into visible text fields, picking offered
 * options, ticking boxes. Hidden fields and options the page does not offer cannot be set,
 * and naming a field the form lacks is an error, so a test cannot silently post what no page sends.
 */
export function fillForm(form: HtmlForm, fill: FormFill): HtmlForm {
  const controls = form.controls.map((c) => ({ ...c, options: c.options.map((o) => ({ ...o })) }));
  for (const [name, wanted] of Object.entries(fill)) {
    const named = controls.filter((c) => c.name === name && c.tag !== "button" && !c.disabled);
    if (named.length === 0) throw new Error(`the form ${form.action} has no field "${name}"`);
    for (const c of named) {
      if (c.tag === "input" && c.type === "hidden")
        throw new Error(`"${name}" is a hidden field of ${form.action}: a person cannot type into it`);
      if (c.tag === "select") {
        const values = Array.isArray(wanted) ? wanted : [String(wanted)];
        if (!c.multiple && values.length !== 1) throw new Error(`"${name}" takes one option`);
        for (const value of values)
          if (!c.options.some((o) => o.value === value && !o.disabled))
            throw new Error(`"${name}" of ${form.action} offers no option "${value}"`);
        for (const o of c.options) o.selected = values.includes(o.value);
      } else if (c.type === "checkbox" || c.type === "radio") {
        c.checked = typeof wanted === "boolean" ? wanted : [wanted].flat().includes(c.value || "on");
      } else if (c.tag === "textarea" || TEXT_TYPES.has(c.type)) {
        if (typeof wanted !== "string") throw new Error(`"${name}" takes text`);
        c.value = wanted;
      } else throw new Error(`"${name}" (${c.type}) cannot be filled`);
    }
  }
  return { ...form, controls };
}

/** The problems a browser's own checks would stop the submission for (required, length), unless novalidate. */
export function browserValidationProblems(form: HtmlForm): string[] {
  if (form.noValidate) return [];
  const problems: string[] = [];
  for (const c of form.controls) {
    if (c.disabled || !c.name || c.tag === "button" || c.type === "hidden") continue;
    const max = c.attributes.maxlength;
    if (max && c.value.length > Number(max)) problems.push(`${c.name} longer than ${max}`);
    if (!c.required) continue;
    const empty =
      c.tag === "select"
        ? !selectedOptions(c).some((o) => o.value !== "")
        : c.type === "checkbox"
          ? !c.checked
          : c.type === "radio"
            ? !form.controls.some((o) => o.name === c.name && o.checked)
            : c.value === "";
    if (empty) problems.push(`${c.name} is required`);
  }
  return problems;
}

function selectedOptions(c: FormControl): FormOption[] {
  const chosen = c.options.filter((o) => o.selected && !o.disabled);
  if (chosen.length || c.multiple) return chosen;
  // A one-line select with nothing marked shows (and sends) its first enabled option.
  const first = c.options.find((o) => !o.disabled);
  return first ? [first] : [];
}

/**
 * The name/value pairs a browser submits for `form` pressed with `submitter` (a submit button of
 * the form; omitted: the first one, as pressing Enter does). Disabled and unnamed controls,
 * unticked boxes and the other buttons send nothing.
 */
export function formEntries(form: HtmlForm, submitter?: FormControl): [string, string][] {
  const entries: [string, string][] = [];
  const pressed = submitter ?? form.controls.find((c) => isSubmit(c));
  for (const c of form.controls) {
    if (c.disabled || !c.name) continue;
    if (isSubmit(c) || c.tag === "button") {
      if (c === pressed) entries.push([c.name, c.value]);
      continue;
    }
    if (c.tag === "select") {
      for (const o of selectedOptions(c)) entries.push([c.name, o.value]);
    } else if (c.type === "checkbox" || c.type === "radio") {
      if (c.checked) entries.push([c.name, c.value || "on"]);
    } else if (c.type === "reset" || c.type === "file" || c.type === "image") {
    } else if (c.tag === "textarea") {
      entries.push([c.name, c.value.replace(/\r?\n/g, "\r\n")]);
    } else entries.push([c.name, c.value]);
  }
  return entries;
}

export function isSubmit(c: FormControl): boolean {
  return (
    (c.tag === "button" && c.type === "submit") ||
    (c.tag === "input" && (c.type === "submit" || c.type === "image"))
  );
}
