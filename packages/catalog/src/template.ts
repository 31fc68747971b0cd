/**
 * Message templates (`Resource (%s) type (%s) is not support protection.`) compiled once into matchers
 * that return the placeholder values.
 *
 * The pattern is the template anchored at both ends, literal text escaped and each placeholder a lazy
 * capture, so when a value itself contains the text that follows it, the earlier placeholder takes the
 * shortest value that lets the whole message match. A lazy pattern with several captures backtracks
 * exponentially when a long message contains the separators many times but does not match, so a
 * linear scan runs first: it places each literal at its leftmost occurrence, which succeeds exactly
 * when some match exists, and in that case the lazy pattern finds the same placement without
 * backtracking across captures.
 */

/** `%s` (printf style) or `{name}` (format style), as the vendor's templates use them. */
const PLACEHOLDER = /%s|\{[A-Za-z_][A-Za-z0-9_]*\}/g;

export interface TemplateMatcher {
  readonly template: string;
  /** Anchored pattern with one capture per placeholder. */
  readonly pattern: RegExp;
  readonly placeholderCount: number;
  /** The placeholder values in order, or `undefined` when the message does not fit the template. */
  match(message: string): string[] | undefined;
}

export function compileTemplate(template: string): TemplateMatcher {
  const literals = template.split(PLACEHOLDER);
  const placeholderCount = literals.length - 1;
  const pattern = new RegExp(`^${literals.map(escapeRegExp).join('(.*?)')}$`, 's');
  return {
    template,
    pattern,
    placeholderCount,
    match(message: string): string[] | undefined {
      if (placeholderCount === 0) return message === template ? [] : undefined;
      if (!literalsFitInOrder(message, literals)) return undefined;
      const found = pattern.exec(message);
      return found === null ? undefined : found.slice(1).map((value) => value ?? '');
    },
  };
}

/** Whether prefix, middle literals (leftmost each) and suffix fit into the message in order. */
function literalsFitInOrder(message: string, literals: string[]): boolean {
  const prefix = literals[0] ?? '';
  const suffix = literals[literals.length - 1] ?? '';
  if (!message.startsWith(prefix) || !message.endsWith(suffix)) return false;
  let position = prefix.length;
  for (let i = 1; i < literals.length - 1; i++) {
    const literal = literals[i] ?? '';
    const at = message.indexOf(literal, position);
    if (at < 0) return false;
    position = at + literal.length;
  }
  return message.length - suffix.length >= position;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
