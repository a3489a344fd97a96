/**
 * Pick the model from the environment: OpenAI when `OPENAI_API_KEY` is set, otherwise the scripted
 * offline model (DESIGN §4).
 *
 * @module
 */
import type { Model } from './model.js';
import { OpenAIChatModel, OpenAIResponsesModel } from './openai.js';
import { ScriptedModel } from './scripted.js';

/** The model name used with OpenAI when neither `TIMESTEP_MODEL` nor `OPENAI_MODEL` is set. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini';

/**
 * Choose a model from environment variables.
 *
 * - `OPENAI_API_KEY` set (non-empty): `OpenAIResponsesModel`, or `OpenAIChatModel` when
 *   `TIMESTEP_MODEL_API=chat`; the model name comes from `TIMESTEP_MODEL`, then `OPENAI_MODEL`
 *   (default `gpt-4.1-mini`); the base URL from `OPENAI_BASE_URL`.
 * - otherwise: `ScriptedModel.demo()`, the deterministic offline model.
 *
 * @returns the model and a one-line description of it, for startup logs.
 */
export function modelFromEnv(env: NodeJS.ProcessEnv = process.env): { model: Model; description: string } {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) {
    return {
      model: ScriptedModel.demo(),
      description:
        'scripted offline model (deterministic rules, no API calls); set OPENAI_API_KEY to use OpenAI ' +
        '(optionally TIMESTEP_MODEL, OPENAI_BASE_URL, TIMESTEP_MODEL_API=chat)',
    };
  }
  const name = env.TIMESTEP_MODEL?.trim() || env.OPENAI_MODEL?.trim() || DEFAULT_OPENAI_MODEL;
  const baseURL = env.OPENAI_BASE_URL?.trim() || 'https://api.openai.com/v1';
  const chat = env.TIMESTEP_MODEL_API?.trim().toLowerCase() === 'chat';
  const options = { model: name, apiKey, baseURL };
  const model = chat ? new OpenAIChatModel(options) : new OpenAIResponsesModel(options);
  const api = chat ? 'Chat Completions' : 'Responses';
  return { model, description: `OpenAI ${api} API, model ${name} at ${baseURL}` };
}
