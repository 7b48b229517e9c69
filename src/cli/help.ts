import { Help, type Command, type Interfaces } from '@oclif/core';
import { binTopic } from './bin-context.js';

/**
 * oclif's help, printed under the name of the bin the user ran: `anon-router info --help`
 * shows `$ anon-router info`, and `anon-router --help` lists `info`, not `router info`.
 * Declared topics are listed even before they have commands, so `anon --help` shows the
 * whole toolkit.
 */
export default class AnonHelp extends Help {
  private get topic(): string | undefined {
    return binTopic();
  }

  protected override get sortedTopics(): Interfaces.Topic[] {
    const declared = Object.keys(this.config.pjson.oclif.topics ?? {});
    const seen = new Set<string>();
    return this.config.topics
      .filter((t) => !t.hidden && (declared.includes(t.name) || this.config.topics.some((s) => s.name.startsWith(`${t.name}:`))))
      .filter((t) => (seen.has(t.name) ? false : (seen.add(t.name), true)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  protected override formatTopic(topic: Interfaces.Topic): string {
    const own = this.topic;
    if (own === undefined || topic.name !== own) return super.formatTopic(topic);
    const description = this.render(topic.description ?? '');
    const [summary, ...rest] = description.split('\n');
    const parts = [summary, this.section('USAGE', `$ anon-${own} COMMAND`)];
    if (rest.join('\n').trim()) parts.push(this.section('DESCRIPTION', this.wrap(rest.join('\n'))));
    return parts.join('\n\n') + '\n';
  }

  protected override formatCommands(commands: Command.Loadable[]): string {
    const own = this.topic;
    if (own === undefined) return super.formatCommands(commands);
    // Copies: oclif caches these objects, and only this listing drops the topic.
    return super.formatCommands(commands.map((c) => ({ ...c, id: c.id.startsWith(`${own}:`) ? c.id.slice(own.length + 1) : c.id })));
  }

  protected override formatTopics(topics: Interfaces.Topic[]): string {
    const own = this.topic;
    if (own === undefined) return super.formatTopics(topics);
    return super.formatTopics(topics.map((t) => ({ ...t, name: t.name.startsWith(`${own}:`) ? t.name.slice(own.length + 1) : t.name })));
  }

  protected override async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    await super.showTopicHelp(topic);
    const hasCommands = this.config.commands.some((c) => c.id.startsWith(`${topic.name}:`) || c.id === topic.name);
    if (!hasCommands) this.log('This topic has no commands yet: they come with the network layers (see the README).\n');
  }

  protected override log(...args: string[]): void {
    const own = this.topic;
    if (own === undefined) return super.log(...args);
    // Usage and example lines: `$ anon router info` → `$ anon-router info`.
    const rewrite = (s: string) => s.replace(new RegExp(`(\\$ )anon ${own}\\b`, 'g'), `$1anon-${own}`);
    super.log(...args.map(rewrite));
  }
}
