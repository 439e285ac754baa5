/**
 * positional-artefacts: the public API. Notebooks, the CLI and tests of public behaviour import from here.
 * Each folder owns one section below; names are listed explicitly (no `export *`).
 */

// model
export type {
  Architecture, ModelConfig, Float32Tensor, LayerNormParams, StaticTensors, EncodedBatch, SiteKind, SiteInfo,
} from "./model/types.js";
// -- model exports (model-layer work adds here) --
export { createEncoder } from "./model/encoder.js";
export { DEFAULT_TOKEN_BUDGET } from "./model/batching.js";
export type { Encoder, EncoderOptions, EncodeOptions, EncoderStats } from "./model/encoder.js";
export { EncoderSession } from "./model/session.js";
export { SentenceTokenizer } from "./model/tokenizer.js";
export type { TokenizedSentence } from "./model/tokenizer.js";
export { resolveSource } from "./model/source.js";
export type { ResolvedSource, SourceOptions } from "./model/source.js";
export { synthesize } from "./model/synth.js";
// masked-LM heads and interventions as graph edits (issue 17)
export { MaskedLm } from "./model/mlm.js";
export { createEditableEncoder } from "./model/editableEncoder.js";
export type { EditableEncoder } from "./model/editableEncoder.js";
export { synthZipfSentences } from "./model/synthHead.js";
export type { MaskedLmOptions, MlmBatch, EditFeeds } from "./model/mlm.js";
export { loadMlmHead, MLM_HEAD_ARCHITECTURES } from "./model/heads.js";
export type { MlmHead } from "./model/heads.js";
export { ablationVectors, applyGraphEdits, editInputNames } from "./model/onnx/edits.js";
export type { GraphEdit } from "./model/onnx/edits.js";
export { editTargets, INTERVENTION_SITES } from "./model/editTargets.js";
export type { EditTarget, InterventionSite } from "./model/editTargets.js";
export type { SynthOptions, SynthRecord, PlantedOutlier } from "./model/synth.js";
export type { PlantedMassive, PlantedSink, MassiveRecord, SinkRecord } from "./model/synthPlant.js";
export { meanPool, clsPool, l2normalize } from "./model/pooling.js";
export type { MeanPoolOptions } from "./model/pooling.js";
export { readSafetensors, readSafetensorsHeader, writeSafetensors } from "./model/safetensors.js";
export type { SafetensorsEntry, SafetensorsHeader, StoredDtype } from "./model/safetensors.js";
export { parseConfig, readConfig, maxSequenceLength } from "./model/config.js";
export { loadCheckpoint, staticTensors, expectedTensors } from "./model/checkpoint.js";
export type { Checkpoint, ExpectedTensor } from "./model/checkpoint.js";
export { buildOnnx } from "./model/onnx/build.js";
export type { BuildOptions } from "./model/onnx/build.js";
export { listSites, resolveSites, siteKinds, SITE_KINDS } from "./model/sites.js";
export { exposeHiddenStates, refuseIfNotAnalysable } from "./model/onnx/surgery.js";
export { exportOnnx, inspectSource } from "./model/export.js";
export type { ExportOptions, ExportResult, SourceInfo } from "./model/export.js";

// analysis
export { toLayerBatches } from "./analysis/batch.js";
export type { LayerBatch } from "./analysis/batch.js";
// -- analysis exports (analyses work adds here) --
export { createRandom, hashUniform } from "./numerics/random.js";
export type { Random } from "./numerics/random.js";
export { symmetricEigen } from "./numerics/eigen/symmetric.js";
export { RunningStats, meanInterval, normalQuantile, VectorMoments } from "./numerics/moments.js";
export { keyword } from "./numerics/options.js";
export { dot, cosine, rankOf, pearsonFromSums } from "./numerics/vectors.js";
export { trainSoftmax, predict, predictProba, accuracy } from "./numerics/softmax.js";
export type { SoftmaxOptions, SoftmaxModel } from "./numerics/softmax.js";
export { isotropyScores, isoScoreFromEigenvalues, effectiveRank, topVarianceShare, covarianceFromSums } from "./numerics/isotropy.js";
export type { IsotropyScores } from "./numerics/isotropy.js";
export { TokenSample } from "./analysis/tokenSample.js";
export type { TokenSampleOptions, LayerSample } from "./analysis/tokenSample.js";
export { OutlierCounter, countOutliers, outlierDims, argExtent } from "./analysis/outliers.js";
export type { OutlierOptions, OutlierResult, OutlierLayer, OutlierDimension } from "./analysis/outliers.js";
export { outlierOrigins } from "./analysis/origins.js";
export type { OriginOptions, OriginResult, DimensionOrigin, RowStrength, LayerNormRank } from "./analysis/origins.js";
export { PositionProfile } from "./analysis/positions.js";
export type { PositionOptions, PositionResult, PositionLayer } from "./analysis/positions.js";
export { PositionProbe, neuronContributions, CONTRIBUTION_ROWS } from "./analysis/probe.js";
export type { ProbeOptions, ProbeResult, ProbeLayer, ContributionRow } from "./analysis/probe.js";
export { Anisotropy, anisotropy, drawPairs, pairCosines } from "./analysis/anisotropy.js";
export type { AnisotropyOptions, AnisotropyResult, AnisotropyLayer, CosineSummary } from "./analysis/anisotropy.js";
export { SelfSimilarity } from "./analysis/selfsim.js";
export type { SelfSimOptions, SelfSimResult, SelfSimLayer } from "./analysis/selfsim.js";
export {
  clipper, zscorer, allButTheTop, whitener, LayerMoments, applyPostprocessor, applyRowsWith, POSTPROCESS_NAMES,
} from "./analysis/postprocess.js";
export { jsLinalg } from "./numerics/linalg.js";
export type { Linalg, SoftmaxStackOptions } from "./numerics/linalg.js";
export { createOrtLinalg } from "./model/linalg.js";
export { jsReducer, createOrtReducer } from "./model/reductions.js";
export type { Reducer, ReduceInput, SiteReductions } from "./model/reductions.js";
export type { Postprocessor, PostprocessName, AllButTheTopOptions, WhiteningOptions, MomentOptions } from "./analysis/postprocess.js";
export { LayerCovariance, isotropyResult, covarianceScores } from "./analysis/isotropy.js";
export type { IsotropyOptions, IsotropyResult, IsotropyLayer, IsotropyScoresJson, IsotropyVariant } from "./analysis/isotropy.js";
export { maskCovariance, scaleCovariance, projectOutCovariance, linearCovariance } from "./analysis/postprocessCovariance.js";
export { symmetricEigenvalues } from "./numerics/eigen/values.js";
export { cosineContributions, layerContributions } from "./analysis/contributions.js";
export type { ContributionOptions, ContributionResult, ContributionLayer } from "./analysis/contributions.js";
export { MassiveActivations, massiveSettings } from "./analysis/massive.js";
export type { MassiveOptions, MassiveSettings, MassiveResult, MassiveSite, MassiveEntry, MassivePersistence } from "./analysis/massive.js";
export { OutlierNorms, normsSettings, dimKurtosis } from "./analysis/norms.js";
export { reduceSites } from "./analysis/siteReductions.js";
export type { BatchReductions } from "./analysis/siteReductions.js";
export type { NormsOptions, NormsSettings, NormsResult, NormsSite } from "./analysis/norms.js";
export { AttentionSinks, sinkSettings, SINK_CLASSES } from "./analysis/sinks.js";
export type { SinkOptions, SinkSettings, SinkResult, SinkLayer, SinkHead, SinkClass } from "./analysis/sinks.js";
export { TOKEN_CLASSES, tokenClasses, isPunctuation } from "./analysis/tokenClasses.js";
export type { TokenClass } from "./analysis/tokenClasses.js";
export { tokenSites, headSites, parseSiteName, SITE_KIND_ORDER } from "./analysis/siteViews.js";
export type { TokenSiteView, HeadSiteView } from "./analysis/siteViews.js";
export { runAnalyses, ANALYSIS_NAMES, DEFAULT_ANALYSES, analysisSites, resolveOnly, batchWords, frequentWords } from "./analysis/run.js";
export { siteRequest } from "./analysis/registry/index.js";
export type { RunOptions, RunProgress, AnalysisResults, AnalysisName } from "./analysis/run.js";
export { REGISTRY, descriptor, closure } from "./analysis/registry/index.js";
export type { AnalysisDescriptor, Accumulator, RunContext, ResultInputs, SidePart } from "./analysis/registry/types.js";
export { STATE_VERSION, STATE_FORMAT, wrapState, unwrapState, stateIdentity, encodeArray, decodeArray } from "./analysis/state.js";
export type { StateEnvelope, ModelIdentity, EncodedArray } from "./analysis/state.js";
export { runShard, mergeShards, checkShards, SHARD_FORMAT, SHARD_VERSION } from "./analysis/shard.js";
export type { ShardState, ShardSpec } from "./analysis/shard.js";
export { blockRanges, shardBlocks } from "./analysis/blocks.js";
export { pearson, spearman, averageRanks } from "./analysis/correlation.js";
export { WicScorer, evaluateWic, accuracyTable, bestCell, WIC_THRESHOLDS } from "./analysis/senses.js";
export type { WicCell, WicScores, WicResult, WicOptions } from "./analysis/senses.js";
export { StsScorer, evaluateSts, meanPoolBatch, clippedCosine } from "./analysis/sts.js";
// interventions and masked-LM scores (issue 17)
export { planMasks, planPseudo, scorePlan, logProbAt } from "./analysis/mlmScore.js";
export type { MaskPlan, MaskedRow, MlmScore, LogitsRunner, TokenRow } from "./analysis/mlmScore.js";
export { ABLATIONS, randomDims, summarise, compareWithRandom, interventionStatement } from "./analysis/intervene.js";
export type { Ablation, InterventionOptions, RandomBaseline, Comparison } from "./analysis/intervene.js";
export { interveneMlm } from "./analysis/interveneMlm.js";
export type { MlmInterventionOptions, MlmInterventionResult } from "./analysis/interveneMlm.js";
export { interveneDownstream } from "./analysis/interveneDownstream.js";
export type { DownstreamInterventionOptions, DownstreamInterventionResult } from "./analysis/interveneDownstream.js";
export type { ClipSpec, SentenceEncoder, Correlations, StsScores, StsLayer, StsBest, StsResult, StsOptions } from "./analysis/sts.js";
export { evaluateSupervised, probeLayer, poolTexts, splitTrainTest } from "./analysis/supervised.js";
export type { SupervisedOptions, SupervisedLayer, SupervisedResult } from "./analysis/supervised.js";

// data
// -- data exports --
export { loadCorpus, corpusInfo, CORPUS_NAMES, loadDocuments } from "./data/corpus.js";
export type { CorpusName, CorpusInfo } from "./data/corpus.js";
export { splitSentences, countWords } from "./data/sentences.js";
export { sampleSentences } from "./data/sample.js";
export type { SampleOptions } from "./data/sample.js";
export { DataFileError } from "./data/formats/text.js";
export { loadSst2, loadSst5, loadImdb } from "./data/formats/sentiment.js";
export type { LabelledTexts } from "./data/formats/sentiment.js";
export { loadQqp } from "./data/formats/qqp.js";
export type { QqpData } from "./data/formats/qqp.js";
export { loadStsB, loadSick, loadSentEvalSts } from "./data/formats/sts.js";
export type { StsSet, StsSubset } from "./data/formats/sts.js";
export { loadWic } from "./data/formats/wic.js";
export type { SensePair, WicData } from "./data/formats/wic.js";
export { buildSensePairs, WORDNET_SOURCE } from "./data/wordnet.js";
export type { WordNetPairOptions, WordNetPairSet, WordNetSensePair, WordNetPos } from "./data/wordnet.js";

// figures
// -- figures exports --
export { defaultModels, readTrainingLog, findTrainingLog, modelLabel } from "./defaults.js";
export type { TrainingLog } from "./defaults.js";
export { show, showMarkdown, showProvenance, summarize, displayBundle, setDisplaySink, checkShowable, plotlySource, FIGURE_MIME, TABLE_MIME, PROVENANCE_MIME, PLOTLY_MIME } from "./figures/show.js";
export type { DisplayBundle, DisplaySink, BundleOptions } from "./figures/show.js";
export { figureHtml, tableHtml, drawableSpec, MAX_HEATMAP_CELLS } from "./figures/html.js";
export type { FigureHtmlOptions } from "./figures/html.js";
export { isFigureSpec } from "./figures/spec.js";
export type { FigureSpec, TableSpec, TableData } from "./figures/spec.js";
export { okabeIto, modelFamily, modelStyle, meanOfAllStyle, neuronStyle } from "./figures/palette.js";
export type { Family, SeriesStyle } from "./figures/palette.js";
export { plotConfig, baseLayout, scopeText, layerRange, gridLayout } from "./figures/layout.js";
export { meanVectorsFigure, outlierShareFigure, topShareComparisonFigure } from "./figures/meanVectors.js";
export type { MeanVectorsOptions, OutlierShareOptions, TopShareOptions } from "./figures/meanVectors.js";
export { positionRowFigure, positionValuesFigure, layerNormRankFigure, originRowFigures } from "./figures/positionRow.js";
export type { PositionRowOptions, PositionValuesOptions, LayerNormRankOptions } from "./figures/positionRow.js";
export { valueByPositionFigure, positionCorrelationFigure } from "./figures/positions.js";
export type { ValueByPositionOptions, PositionCorrelationOptions } from "./figures/positions.js";
export { anisotropyFigure, selfSimilarityFigure, postprocessFigure, cosineContributionFigure } from "./figures/anisotropy.js";
export type { AnisotropyFigureOptions, SelfSimilarityFigureOptions, CosineContributionOptions } from "./figures/anisotropy.js";
export { isotropyFigure, ISOTROPY_MEASURES } from "./figures/isotropy.js";
export type { IsotropyFigureOptions, IsotropyMeasure } from "./figures/isotropy.js";
export { massiveMapFigure } from "./figures/massive.js";
export type { MassiveMapOptions } from "./figures/massive.js";
export { sinkMassFigure } from "./figures/sinks.js";
export { isotropyTable, isotropyNarrative, massiveNarrative, sinkNarrative } from "./figures/sitesNarrative.js";
export type { SinkMassOptions } from "./figures/sinks.js";
export { wicTable, stsTable, supervisedTable, hyperparameterTable, paperPretrainingTable } from "./figures/tables.js";
export type { PaperRows, StsRun } from "./figures/tables.js";
export { probeAccuracyFigure, probeContributionFigure } from "./figures/probe.js";
export type { ProbeAccuracyOptions, ProbeContributionOptions } from "./figures/probe.js";
export { contributionHeatmapFigure } from "./figures/heatmap.js";
export { wicLayerFigure, stsLayerFigure, supervisedLayerFigure } from "./figures/scores.js";
export type { ContributionHeatmapOptions } from "./figures/heatmap.js";
export { outlierNarrative, originNarrative, probeNarrative, anisotropyNarrative, wicNarrative, stsNarrative, supervisedNarrative, pretrainingNarrative, selfSimilarityNarrative, percent, missingDataNote } from "./figures/narrative.js";
export type { DataKey } from "./figures/narrative.js";

// report
// -- report exports --
export { Kernel, tslabArgv } from "./report/kernel.js";
export { MissingOptionalError } from "./report/optional.js";
export type { ExecuteResult, KernelOptions, MimeBundle, Output } from "./report/kernel.js";
export { executeNotebook, readNotebook, injectParameters, declaredParameters, NotebookError } from "./report/execute.js";
export type { Cell, ExecuteOptions, Notebook } from "./report/execute.js";
export { MarkdownRenderer, Slugger } from "./report/markdown.js";
export type { Heading } from "./report/markdown.js";
export { renderReport, CSP } from "./report/html.js";
export type { ReportInput } from "./report/html.js";
export { reportProvenance, modelProvenance, gitCommit, packageVersions } from "./report/provenance.js";
export type { ModelProvenance, NotebookProvenance, ReportProvenance } from "./report/provenance.js";
export { escapeHtml, scriptJson, stableStringify, toCsv } from "./report/escape.js";
export { generateReport, writeAtomic } from "./report/generate.js";
export type { ReportOptions } from "./report/generate.js";

// -- real checkpoints, identity, shared results, summary (issue 14) --
export { readCatalog, findCheckpoint, fetchCheckpoint, checkpointDir } from "./model/catalog.js";
export type { Catalog, CatalogCheckpoint, FetchCheckpointOptions } from "./model/catalog.js";
export { modelIdentity } from "./model/identity.js";
export { sharedAnalyses, reportModels, reportSample, modelTensors, DEFAULT_SAMPLE } from "./report/cache.js";
export type { SharedAnalyses, SharedOptions } from "./report/cache.js";
export { findingsMarkdown, findingsTable, outlierSectionTitle, outlierSectionId } from "./report/summary.js";
export type { FindingsRun } from "./report/summary.js";

export { familyFixtureDirs } from "./defaults.js";
export { cachedModels } from "./report/cache.js";
export { supportedFamilies } from "./model/families/index.js";
export { familyComparisonTable, familyOutlierCountFigure } from "./figures/families.js";
export type { FamilyEntry } from "./figures/families.js";
