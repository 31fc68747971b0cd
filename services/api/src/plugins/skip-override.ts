/**
 * Marks a plugin as not encapsulated (what `fastify-plugin` does): its hooks, handlers and
 * decorations apply to the instance that registers it.
 */
export function skipOverride<T extends (...args: never[]) => unknown>(plugin: T): T {
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
