/**
 * Colour-blind-safe colours and the paper's series styles. Colours are Okabe & Ito (2008),
 * "Color Universal Design", which stay distinct under the common colour-vision deficiencies.
 * The paper (matplotlib) draws BERT-family models as blue squares, RoBERTa-family as red circles,
 * clipped variants dashed (blue triangles, red crosses), and "mean of all neurons" as yellow
 * down-triangles; the styles below keep those shapes and map the colours onto Okabe-Ito.
 */

/** The eight Okabe-Ito colours by name. */
export const okabeIto = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
} as const;

/** Colours for series that are neither BERT- nor RoBERTa-family, in order of use. */
export const categorical: readonly string[] = [
  okabeIto.blue, okabeIto.vermillion, okabeIto.bluishGreen, okabeIto.reddishPurple,
  okabeIto.skyBlue, okabeIto.orange, okabeIto.black,
];

/** A sequential colour scale for heatmaps (Viridis: perceptually uniform and colour-blind safe). */
export const sequentialScale = "Viridis";

/** The model families the paper distinguishes by colour and marker. */
export type Family = "bert" | "roberta" | "other";

/** The family of a model from its name or architecture ("roberta-base" -> roberta, "distilbert" -> bert). */
export function modelFamily(name: string): Family {
  if (/roberta/i.test(name)) return "roberta";
  if (/bert/i.test(name)) return "bert";
  return "other";
}

/** Plotly line/marker style of one series. */
export interface SeriesStyle {
  line: { color: string; dash: "solid" | "dash" | "dot"; width: number };
  marker: { color: string; symbol: string; size: number };
}

/**
 * The paper's style for one model's series: BERT-family blue squares, RoBERTa-family vermillion
 * circles, clipped variants dashed with triangles (BERT) or crosses (RoBERTa). A model of neither
 * family takes `categorical[index]` with a marker chosen by index, so two such models differ.
 */
export function modelStyle(family: Family, { clipped = false, index = 0 }: { clipped?: boolean; index?: number } = {}): SeriesStyle {
  const dash = clipped ? "dash" : "solid";
  let color: string, symbol: string;
  if (family === "bert") [color, symbol] = [okabeIto.blue, clipped ? "triangle-up" : "square"];
  else if (family === "roberta") [color, symbol] = [okabeIto.vermillion, clipped ? "x" : "circle"];
  else {
    const symbols = ["square", "circle", "diamond", "cross", "star", "hexagon", "pentagon"];
    color = categorical[index % categorical.length];
    symbol = symbols[index % symbols.length] + (clipped ? "-open" : "");
  }
  return { line: { color, dash, width: 2 }, marker: { color, symbol, size: 7 } };
}

/** The style of the "mean value of all neurons" reference series (paper: yellow down-triangles). */
export function meanOfAllStyle(): SeriesStyle {
  return { line: { color: okabeIto.orange, dash: "solid", width: 2 }, marker: { color: okabeIto.orange, symbol: "triangle-down", size: 7 } };
}

/**
 * The style of the k-th outlier-neuron series in a contribution plot (Figs 5b/5c, 14, 15):
 * distinct Okabe-Ito colours and markers, never the mean-of-all orange.
 */
export function neuronStyle(k: number): SeriesStyle {
  const colors = [okabeIto.blue, okabeIto.vermillion, okabeIto.bluishGreen, okabeIto.reddishPurple, okabeIto.skyBlue, okabeIto.black];
  const symbols = ["square", "circle", "diamond", "cross", "star", "hexagon"];
  const color = colors[k % colors.length];
  return { line: { color, dash: "solid", width: 2 }, marker: { color, symbol: symbols[k % symbols.length], size: 7 } };
}
