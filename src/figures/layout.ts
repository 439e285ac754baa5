/**
 * Shared plotly defaults for every figure: fonts, margins, white background, config (interactive,
 * no plotly logo, responsive), axis titles that state their scope, and the subplot grid of the
 * mean-vector figures. Pure functions: each returns a fresh object.
 */

/** Plotly config used by every figure. */
export function plotConfig(): Record<string, unknown> {
  return { staticPlot: false, displaylogo: false, responsive: true };
}

/** An axis with a title and the shared styling. */
export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: { text: title }, zeroline: false, showline: true, linecolor: "#444", ticks: "outside", automargin: true, ...extra };
}

/** The base layout: title, fonts, margins, legend under the plot, white background. */
export function baseLayout(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, x: 0.02, xanchor: "left" },
    font: { family: "Helvetica, Arial, sans-serif", size: 13, color: "#222" },
    margin: { l: 64, r: 24, t: 56, b: 104 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    // Below the x-axis title, so long series names never cover the plot or the axis.
    legend: { orientation: "h", x: 0, xanchor: "left", y: -0.3, yanchor: "top" },
    hovermode: "closest",
    // Plotly hides the legend of a one-series figure; keep it, since the series name says what is drawn.
    showlegend: true,
    ...extra,
  };
}

/** What a result covers, as result settings record it; every field optional. */
export interface Scope {
  /** Layers included, e.g. [1, 2, 3, 4]. */
  layers?: readonly number[];
  /** Whether special tokens ([CLS], [SEP], <s>, </s>) were counted. */
  includeSpecial?: boolean;
  /** Tokens counted per layer. */
  tokens?: number;
  /** Sentences encoded. */
  sentences?: number;
}

/** "layers 1-4" for contiguous runs, "layers 0, 2, 5" otherwise; "" for none. */
export function layerRange(layers: readonly number[] | undefined): string {
  if (!layers || layers.length === 0) return "";
  const s = [...layers].sort((a, b) => a - b);
  const contiguous = s.every((v, i) => i === 0 || v === s[i - 1] + 1);
  if (s.length === 1) return `layer ${s[0]}`;
  return contiguous ? `layers ${s[0]}–${s[s.length - 1]}` : `layers ${s.join(", ")}`;
}

/**
 * A short scope note for axis titles and captions, e.g. "layers 1–4; special tokens excluded;
 * 5,210 tokens". Fields the scope lacks are left out.
 */
export function scopeText(scope: Scope): string {
  const parts: string[] = [];
  const layers = layerRange(scope.layers);
  if (layers) parts.push(layers);
  if (scope.includeSpecial !== undefined) parts.push(scope.includeSpecial ? "special tokens included" : "special tokens excluded");
  if (scope.sentences !== undefined) parts.push(`${formatCount(scope.sentences)} sentences`);
  if (scope.tokens !== undefined) parts.push(`${formatCount(scope.tokens)} tokens`);
  return parts.join("; ");
}

/** An integer with thousands separators, independent of the locale (12345 -> "12,345"). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Axis title with its scope in parentheses when there is one: "mean value (layers 1–4)". */
export function scopedTitle(title: string, scope: string): string {
  return scope ? `${title} (${scope})` : title;
}

/** Rows and columns of a grid of n panels, as the paper lays them out (12 -> 3x4, 6 -> 2x3, 24 -> 6x4). */
export function gridShape(n: number, columns?: number): { rows: number; columns: number } {
  if (!(n >= 1)) throw new RangeError(`invalid panel count: ${JSON.stringify(n)}; expected at least 1`);
  const c = columns ?? (n <= 3 ? n : n <= 4 ? 2 : n <= 6 ? 3 : 4);
  return { rows: Math.ceil(n / c), columns: c };
}

/** Plotly's name of the k-th axis pair (0 -> "x"/"y", 1 -> "x2"/"y2"). */
export function axisIds(k: number): { x: string; y: string; xKey: string; yKey: string } {
  const suffix = k === 0 ? "" : String(k + 1);
  return { x: `x${suffix}`, y: `y${suffix}`, xKey: `xaxis${suffix}`, yKey: `yaxis${suffix}` };
}

/**
 * Layout pieces for a grid of independent subplots with one title per panel: the `grid` entry,
 * one xaxis/yaxis per panel (axis titles on the bottom row and left column only), and the panel
 * titles as annotations placed by each panel's domain.
 */
export function gridLayout(
  panelTitles: readonly string[],
  { columns, xTitle, yTitle, gap = 0.06 }: { columns?: number; xTitle: string; yTitle: string; gap?: number },
): Record<string, unknown> {
  const { rows, columns: cols } = gridShape(panelTitles.length, columns);
  const out: Record<string, unknown> = {};
  const annotations: Record<string, unknown>[] = [];
  const height = Math.max(320, 220 * rows + 80);
  // About 64 px between rows, so a panel title never sits on the tick labels of the panel above.
  const gapY = rows > 1 ? 64 / (height - 140) : 0;
  const w = (1 - gap * (cols - 1)) / cols;
  const h = (1 - gapY * (rows - 1)) / rows;
  panelTitles.forEach((title, k) => {
    const r = Math.floor(k / cols), c = k % cols;
    const x0 = c * (w + gap), y1 = 1 - r * (h + gapY);
    const ids = axisIds(k);
    const bottom = r === rows - 1 || k + cols >= panelTitles.length;
    out[ids.xKey] = axis(bottom ? xTitle : "", { domain: [round6(x0), round6(x0 + w)], anchor: ids.y });
    out[ids.yKey] = axis(c === 0 ? yTitle : "", { domain: [round6(y1 - h), round6(y1)], anchor: ids.x });
    annotations.push({
      text: title, showarrow: false, xref: "paper", yref: "paper", x: round6(x0 + w / 2), y: round6(y1),
      xanchor: "center", yanchor: "bottom", font: { size: 12 },
    });
  });
  out.annotations = annotations;
  out.height = height;
  return out;
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
