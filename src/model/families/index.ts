/**
 * The registry of encoder families: one module per family, looked up by config.json model_type.
 * Adding a family means adding its module here (and its fixture); nothing else branches on a name.
 */
import type { Architecture } from "../types.js";
import { albert } from "./albert.js";
import { bert } from "./bert.js";
import { deberta } from "./deberta.js";
import { distilbert } from "./distilbert.js";
import { electra } from "./electra.js";
import type { Family } from "./family.js";
import { modernbert } from "./modernbert.js";
import { mpnet } from "./mpnet.js";
import { roberta } from "./roberta.js";

export type { Family } from "./family.js";

/** Every family, in the order error messages list them. */
export const FAMILIES: readonly Family[] = [bert, roberta, distilbert, electra, albert, mpnet, deberta, modernbert];

/** Every accepted model_type, aliases included. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = [...FAMILIES.map((f) => f.modelTypes[0]), ...FAMILIES.flatMap((f) => f.modelTypes.slice(1))];

/** The family of a model_type, or undefined. */
export function familyOfModelType(modelType: unknown): Family | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType as string));
}

/** The family module of an architecture (every ModelConfig has one). */
export function familyOf(architecture: Architecture): Family {
  const f = FAMILIES.find((x) => x.architecture === architecture);
  if (!f) throw new RangeError(`architecture ${JSON.stringify(architecture)} has no family module; expected one of ${FAMILIES.map((x) => x.architecture).join(", ")}`);
  return f;
}

/** Every supported family: model_type values, position scheme and norm placement (README table, reports). */
export function supportedFamilies(): { architecture: Architecture; modelTypes: string[]; positionScheme: string; lnPlacement: string }[] {
  return FAMILIES.map((f) => ({ architecture: f.architecture, modelTypes: [...f.modelTypes], positionScheme: f.positionScheme, lnPlacement: f.lnPlacement }));
}
