/**
 * Models: the seam the Loop calls, the OpenAI adapters, the scripted model and the environment pick.
 *
 * @module
 */
export { DEFAULT_OPENAI_MODEL, modelFromEnv } from './from-env.js';
export {
  collectTurn,
  type Model,
  ModelError,
  type ModelEvent,
  type ModelItem,
  type ModelRequest,
  type ModelTool,
  type ModelTurn,
} from './model.js';
export {
  OpenAIChatModel,
  type OpenAIModelOptions,
  OpenAIResponsesModel,
  parseToolArguments,
} from './openai.js';
export {
  answerFromToolResults,
  cityOf,
  lastUserText,
  ScriptedModel,
  type ScriptedModelOptions,
  type ScriptedReply,
  type ScriptedRule,
  toolResultsThisTurn,
} from './scripted.js';
