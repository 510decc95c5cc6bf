/**
 * Reading HTML pages the way a browser submits them, with a real HTML parser
 * (node-html-parser): forms, their successful controls and submit buttons,
 * and the page's error message.
 */
import { parse, type HTMLElement } from 'node-html-parser';

/** A `<form>` found in a page, with the values a browser would submit. */
export interface ParsedForm {
  id?: string;
  /** The action attribute as written (resolve it against the page URL); '' when absent. */
  action: string;
  /** Lower-case method, 'get' when absent. */
  method: string;
  /** Successful controls with a name: hidden/text/password/email inputs (checked boxes too). */
  fields: Record<string, string>;
  /** Submit buttons of the form (also those outside it with a matching `form` attribute). */
  buttons: Array<{ name?: string; value?: string; text: string }>;
}

/** Every form of the page, with the controls that belong to it (HTML §4.10.17.3 form owner). */
export function parseForms(html: string): ParsedForm[] {
  const root = parse(html);
  return root.querySelectorAll('form').map((element) => {
    const form: ParsedForm = {
      action: element.getAttribute('action') ?? '',
      method: (element.getAttribute('method') ?? 'get').toLowerCase(),
      fields: {},
      buttons: [],
    };
    const id = element.getAttribute('id');
    if (id !== undefined) form.id = id;
    const inside = element.querySelectorAll('input, button').filter((c) => c.getAttribute('form') === undefined);
    // Controls elsewhere that name this form with the `form` attribute (oidc-provider's default pages do this).
    const owned =
      id === undefined ? [] : root.querySelectorAll('input, button').filter((c) => c.getAttribute('form') === id);
    for (const control of [...inside, ...owned]) collect(control, form);
    return form;
  });
}

/** The first form of the page (that satisfies `predicate`); throws when there is none. */
export function parseForm(html: string, predicate: (form: ParsedForm) => boolean = () => true): ParsedForm {
  const form = parseForms(html).find(predicate);
  if (!form) throw new Error('no matching <form> in the page');
  return form;
}

/** The text of the page's `.error-message` element, if any. */
export function errorMessageOf(html: string): string | undefined {
  const element = parse(html).querySelector('.error-message');
  return element ? normalize(element.textContent) : undefined;
}

function collect(control: HTMLElement, form: ParsedForm): void {
  const name = control.getAttribute('name');
  const value = control.getAttribute('value');
  if (control.tagName === 'BUTTON') {
    if ((control.getAttribute('type') ?? 'submit').toLowerCase() !== 'submit') return;
    const button: ParsedForm['buttons'][number] = { text: normalize(control.textContent) };
    if (name !== undefined) button.name = name;
    if (value !== undefined) button.value = value;
    form.buttons.push(button);
    return;
  }
  if (name === undefined) return;
  const type = (control.getAttribute('type') ?? 'text').toLowerCase();
  if (type === 'submit') form.buttons.push({ name, value: value ?? '', text: value ?? '' });
  else if ((type === 'checkbox' || type === 'radio') && !control.hasAttribute('checked')) return;
  else if (!['button', 'reset', 'file', 'image'].includes(type)) {
    form.fields[name] = value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
  }
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
