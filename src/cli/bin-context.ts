/**
 * Which bin started this process. `anon-router start` runs the same commands as `anon router
 * start`; help and error messages must name the bin the user typed, so the bin entry records
 * its topic here before oclif loads.
 */
const KEY = Symbol.for('anon.binTopic');

type Holder = { [KEY]?: string };

export function setBinTopic(topic: string | undefined): void {
  (globalThis as Holder)[KEY] = topic;
}

export function binTopic(): string | undefined {
  return (globalThis as Holder)[KEY];
}

/** The name the user typed for a command id such as `router:start` → `anon-router start`. */
export function displayName(commandId: string): string {
  const parts = commandId.split(':');
  const topic = binTopic();
  if (topic && parts[0] === topic) return [`anon-${topic}`, ...parts.slice(1)].join(' ');
  return ['anon', ...parts].join(' ');
}

/** Rewrites `anon <topic>` into the bin's own name in text oclif rendered. */
export function rewriteForBin(text: string): string {
  const topic = binTopic();
  if (!topic) return text;
  return text.replace(new RegExp(`\\banon ${topic}\\b`, 'g'), `anon-${topic}`);
}
