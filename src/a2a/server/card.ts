/**
 * The agent card: what the author says about the agent, plus what the server knows (its URL,
 * transports, capabilities and security), assembled into the v1.0 card.
 *
 * @module
 */
import type { AgentCard, AgentExtension, AgentSkill, SecurityRequirement, SecurityScheme } from '../types.js';

/** What an author writes about an agent. Everything the server can work out is filled in. */
export interface AgentCardOptions {
  name: string;
  description: string;
  /** The agent's own version. Default `1.0.0`. */
  version?: string;
  /** Skills; `id` defaults to a slug of the name, `tags` to none. */
  skills?: Array<Omit<AgentSkill, 'id' | 'tags'> & { id?: string; tags?: string[] }>;
  provider?: { organization: string; url: string };
  documentationUrl?: string;
  iconUrl?: string;
  /** Accepted input media types. Default `text/plain` and `application/json`. */
  defaultInputModes?: string[];
  /** Produced output media types. Default `text/plain` and `application/json`. */
  defaultOutputModes?: string[];
  /** A2A extensions the agent supports. */
  extensions?: AgentExtension[];
}

/** What the server contributes to the card. */
export interface CardContext {
  /** Public base URL, without a trailing slash, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  pushNotifications: boolean;
  extendedAgentCard: boolean;
  securitySchemes?: Record<string, SecurityScheme>;
  securityRequirements?: SecurityRequirement[];
}

/** A URL-safe slug of a name. */
export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'agent'
  );
}

/** Assemble the v1.0 card. */
export function buildAgentCard(options: AgentCardOptions, context: CardContext): AgentCard {
  const modes = ['text/plain', 'application/json'];
  const card: AgentCard = {
    name: options.name,
    description: options.description,
    supportedInterfaces: [
      { url: `${context.baseUrl}/`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url: context.baseUrl, protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
      { url: `${context.baseUrl}/`, protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
    ],
    version: options.version ?? '1.0.0',
    capabilities: {
      streaming: true,
      pushNotifications: context.pushNotifications,
      extendedAgentCard: context.extendedAgentCard,
      ...(options.extensions?.length ? { extensions: options.extensions } : {}),
    },
    defaultInputModes: options.defaultInputModes ?? modes,
    defaultOutputModes: options.defaultOutputModes ?? modes,
    skills: (options.skills ?? []).map((skill) => ({
      ...skill,
      id: skill.id ?? slugify(skill.name),
      tags: skill.tags ?? [],
    })),
  };
  if (options.provider) card.provider = options.provider;
  if (options.documentationUrl) card.documentationUrl = options.documentationUrl;
  if (options.iconUrl) card.iconUrl = options.iconUrl;
  if (context.securitySchemes && Object.keys(context.securitySchemes).length > 0) {
    card.securitySchemes = context.securitySchemes;
    card.securityRequirements = context.securityRequirements ?? [];
  }
  return card;
}
