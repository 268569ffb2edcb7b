#include "search/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/catalog.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(SpecTest, DefaultsFillEverythingButModel) {
  auto spec = ParseJobSpecText(R"({"model": {"zoo": "lenet5"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->model.zoo, "lenet5");
  EXPECT_EQ(spec->dataset.name, "fashion-mnist");
  EXPECT_EQ(spec->search.max_bits, 8);
  EXPECT_TRUE(spec->search.prune);
  EXPECT_FALSE(spec->refine.latency_budget.has_value());
}

TEST(SpecTest, ArchitectureExampleParses) {
  auto spec = ParseJobSpecText(R"({
    "name": "lenet5-fashion", "model": {"zoo": "lenet5"},
    "dataset": {"name": "fashion-mnist", "train_limit": 60000, "test_limit": 10000},
    "hardware": {"profile": "pulp-xpulpv2"}, "pretrain": {"epochs": 2},
    "search": {"epochs": 2, "mu": 0.1, "regularizer": "bops", "max_bits": 8, "prune": true,
               "batch_size": 128, "lr": 0.001, "seed": 1},
    "refine": {"method": "freebits", "latency_budget": null, "max_accuracy_drop": 1.0},
    "finetune": {"epochs": 1}, "baselines": ["w8a8", "w4a4"]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->hardware.profile, "pulp-xpulpv2");
  EXPECT_EQ(spec->baselines.size(), 2u);
  EXPECT_EQ(spec->dataset.train_limit, 60000);
}

TEST(SpecTest, RoundTripThroughJsonKeepsEveryField) {
  auto spec = ParseJobSpecText(
      R"({"model": "vgg7", "search": {"mu": 0.5, "seed": 7}, "refine": {"latency_budget": 3.5}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*spec));
  EXPECT_EQ(again->search.seed, 7u);
  EXPECT_DOUBLE_EQ(*again->refine.latency_budget, 3.5);
}

TEST(SpecTest, ErrorsNameTheField) {
  EXPECT_THAT(ErrorOf(R"({})"), HasSubstr("model: required"));
  EXPECT_THAT(ErrorOf(R"({"model": {"zoo": "alexnet"}})"), HasSubstr("model.zoo: unknown value"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"mux": 1}})"),
              HasSubstr("search.mux: unknown field"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"epochs": -1}})"),
              HasSubstr("search.epochs: must be at least 0"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"epochs": "two"}})"),
              HasSubstr("search.epochs: expected an integer, got a string"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"max_bits": 3}})"),
              HasSubstr("search.max_bits: must be one of 2, 4, 8, 16, 32"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"name": "imagenet"}})"),
              HasSubstr("dataset.name: unknown value \"imagenet\""));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "baselines": ["w3a3"]})"),
              HasSubstr("baselines[0]: unknown value"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "refine": {"latency_budget": -2}})"),
              HasSubstr("refine.latency_budget"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "idx"}})"),
              HasSubstr("dataset.path: required"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "extra": 1})"), HasSubstr("extra: unknown field"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5",)"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorOf(R"([1, 2])"), HasSubstr("expected a JSON object"));
  EXPECT_THAT(ErrorOf(R"({"model": {"zoo": "lenet5", "onnx": "a.onnx"}})"),
              HasSubstr("exactly one of"));
}

// Integers are checked in the type they are stored in: nothing wraps around through a cast.
TEST(SpecTest, IntegersAreCheckedInTheirTargetType) {
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"epochs": 4294967295}})"),
              HasSubstr("search.epochs: must be at most 100000, got 4294967295"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"batch_size": 4294967360}})"),
              HasSubstr("search.batch_size: must be at most 65536, got 4294967360"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "pretrain": {"batch_size": 4294967360}})"),
              HasSubstr("pretrain.batch_size: must be at most 65536"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"epochs": 1e308}})"),
              HasSubstr("search.epochs: must be at most 100000, got 1e+308"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"seed": -1e308}})"),
              HasSubstr("search.seed: must be at least 0, got -1e+308"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"seed": 18446744073709551615}})"),
              HasSubstr("search.seed: must be at most 9223372036854775807"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "finetune": {"epochs": 2147483648}})"),
              HasSubstr("finetune.epochs: must be at most 100000"));
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"epochs": 3.0, "seed": 9}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->search.epochs, 3);
  EXPECT_EQ(spec->search.seed, 9u);
}

TEST(SpecTest, UpperBoundsComeWithTheirReason) {
  EXPECT_THAT(ErrorOf(R"({"model": {"zoo": "vgg7", "width": 1e300}})"),
              HasSubstr("model.width: must be at most 16 (a channel-width multiplier"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"mu": 1e308}})"),
              HasSubstr("search.mu: must be at most 1000 (the prior's strength"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"lr": 1e9}})"),
              HasSubstr("search.lr: must be at most 100"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"name": "synthetic",
                          "input_shape": [4096, 4096, 4096]}})"),
              HasSubstr("dataset.input_shape: one sample may hold at most 16777216 values"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"name": "synthetic",
                          "synthetic_train": 1000000000000}})"),
              HasSubstr("dataset.synthetic_train: must be at most 10000000"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "refine": {"max_accuracy_drop": 1000}})"),
              HasSubstr("refine.max_accuracy_drop: must be at most 100"));
}

// A 100 KB value or key is quoted as a short prefix: the error stays a readable line.
TEST(SpecTest, ErrorsQuoteAShortPrefixOfHugeValues) {
  std::string big(100000, 'z');
  std::string e = ErrorOf(R"({"model": {"zoo": ")" + big + R"("}})");
  EXPECT_THAT(e, HasSubstr("model.zoo: unknown value \"zzzz"));
  EXPECT_THAT(e, HasSubstr("(100000 bytes)"));
  EXPECT_LT(e.size(), 300u);
  e = ErrorOf(R"({"model": "lenet5", ")" + big + R"(": 1})");
  EXPECT_THAT(e, HasSubstr("(100000 bytes): unknown field"));
  EXPECT_LT(e.size(), 300u);
  e = ErrorOf(R"({"model": "lenet5", "search": {"regularizer": ")" + big + R"("}})");
  EXPECT_LT(e.size(), 300u);
}

TEST(SpecTest, ImportedModelMustNameItsPreprocessing) {
  const std::string error = ErrorOf(R"({"model": {"onnx": "mine.onnx"}})");
  EXPECT_THAT(error, HasSubstr("dataset.preprocess: required for an imported ONNX model"));
  EXPECT_THAT(error, HasSubstr("\"scale\": 0.00392156862745098"));
  EXPECT_THAT(error, HasSubstr("does not guess"));
  auto spec = ParseJobSpecText(R"({"model": {"onnx": "mine.onnx"},
      "dataset": {"preprocess": {"scale": 0.00392156862745098, "mean": [0.286], "std": [0.353]}}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->dataset.preprocess.automatic);
  EXPECT_DOUBLE_EQ(spec->dataset.preprocess.scale, 0.00392156862745098);
  EXPECT_EQ(spec->dataset.preprocess.std, std::vector<double>{0.353});
  // An imported model's export takes what the user feeds the model; a zoo model's takes raw data.
  EXPECT_FALSE(spec->export_options.include_preprocessing);
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*spec));
  auto auto_onnx = ParseJobSpecText(R"({"model": {"onnx": "m.onnx"}, "dataset": {"preprocess": "auto"}})");
  ASSERT_TRUE(auto_onnx.ok()) << auto_onnx.status();
  auto zoo = ParseJobSpecText(R"({"model": "lenet5"})");
  ASSERT_TRUE(zoo.ok());
  EXPECT_TRUE(zoo->dataset.preprocess.automatic);
  EXPECT_TRUE(zoo->export_options.include_preprocessing);
  EXPECT_EQ(JobSpecToJson(*zoo)["dataset"]["preprocess"], "auto");
  auto bare = ParseJobSpecText(R"({"model": "lenet5", "export": {"include_preprocessing": false}})");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->export_options.include_preprocessing);
}

TEST(SpecTest, PreprocessAndAugmentErrorsNameTheField) {
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"preprocess": "z-score"}})"),
              HasSubstr("dataset.preprocess: expected \"auto\""));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"preprocess": {"std": [0.5, 0]}}})"),
              HasSubstr("dataset.preprocess.std: every deviation must be above 0"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"preprocess": {"mean": ["a"]}}})"),
              HasSubstr("dataset.preprocess.mean[0]: expected a number"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"preprocess": {"scale": 0}}})"),
              HasSubstr("dataset.preprocess.scale: must be greater than 0"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"preprocess": {"offset": 1}}})"),
              HasSubstr("dataset.preprocess.offset: unknown field"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"augment": {"flip": true}}})"),
              HasSubstr("dataset.augment.flip: unknown field"));
  auto aug = ParseJobSpecText(
      R"({"model": "vgg7", "dataset": {"augment": {"crop_padding": 4, "horizontal_flip": true}}})");
  ASSERT_TRUE(aug.ok()) << aug.status();
  EXPECT_EQ(aug->dataset.augment.crop_padding, 4);
  EXPECT_EQ(JobSpecToJson(*aug)["dataset"]["augment"]["horizontal_flip"], true);
}

TEST(SpecTest, ArrayAndImageFolderFormats) {
  auto npy = ParseJobSpecText(R"({"model": "lenet5", "dataset": {"format": "npy", "layout": "NHWC",
      "train": {"x": "tx.npy", "y": "ty.npy"}, "test": {"x": "sx.npy", "y": "sy.npy"}}})");
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ(npy->dataset.train.x, "tx.npy");
  EXPECT_EQ(npy->dataset.layout, "NHWC");
  auto npz = ParseJobSpecText(R"({"model": "lenet5", "dataset": {"format": "npz", "path": "d.npz"}})");
  ASSERT_TRUE(npz.ok()) << npz.status();
  EXPECT_EQ(npz->dataset.train.x, "x_train");
  EXPECT_EQ(npz->dataset.test.y, "y_test");
  auto folder = ParseJobSpecText(R"({"model": "lenet5", "dataset": {"format": "image-folder", "path": "imgs",
      "on_corrupt": "skip", "input_shape": [1, 28, 28]}})");
  ASSERT_TRUE(folder.ok()) << folder.status();
  EXPECT_EQ(folder->dataset.on_corrupt, "skip");
  for (const auto* s : {&*npy, &*npz, &*folder}) {
    auto again = ParseJobSpec(JobSpecToJson(*s));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*s));
  }
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "npy", "test": {"x": "a", "y": "b"}}})"),
              HasSubstr("dataset.train: required with format npy"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "npy", "train": {"x": "a"},
      "test": {"x": "a", "y": "b"}}})"), HasSubstr("dataset.train: needs both"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "npz", "path": "d.npz", "layout": "CHW"}})"),
              HasSubstr("dataset.layout: unknown value \"CHW\""));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "image-folder", "path": "p", "on_corrupt": "ignore"}})"),
              HasSubstr("dataset.on_corrupt: unknown value"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "idx", "path": "p", "layout": "NHWC"}})"),
              HasSubstr("dataset.layout: only valid with format npy or npz"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "image-folder", "path": "p", "train": {}}})"),
              HasSubstr("dataset.train: only valid with format npy or npz"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "tfrecord", "path": "p"}})"),
              HasSubstr("dataset.format: unknown value \"tfrecord\"; expected one of: idx, cifar10-bin, npy, npz, image-folder"));
}

TEST(SpecTest, UploadedDataSetRefStaysInsideItAndResolvesLocally) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "npz"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->dataset.ref, "fm");
  EXPECT_TRUE(spec->dataset.name.empty());
  EXPECT_TRUE(DatasetSpecPaths(spec->dataset).empty());  // nothing for the path policy to check
  // Not on this machine: refused with what to do instead.
  EXPECT_THAT(std::string(WithLocalPaths(spec->dataset).status().message()), HasSubstr("uploaded to a bitsearch server"));
  DatasetSpec local = spec->dataset;
  local.local_root = "/cache/abc";
  local.local_file = "fm.npz";
  EXPECT_EQ(WithLocalPaths(local)->path, "/cache/abc/fm.npz");
  local.local_file.clear();
  EXPECT_EQ(WithLocalPaths(local)->path, "/cache/abc");
  // The pinned digest survives the round trip through JSON.
  spec->dataset.digest = "sha256:" + std::string(64, 'a');
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->dataset.digest, spec->dataset.digest);
  auto npy = ParseJobSpecText(R"({"model": "lenet5", "dataset": {"ref": "arrays", "format": "npy",
      "train": {"x": "tr/x.npy", "y": "tr/y.npy"}, "test": {"x": "te/x.npy", "y": "te/y.npy"}}})");
  ASSERT_TRUE(npy.ok()) << npy.status();
  npy->dataset.local_root = "/cache/d";
  EXPECT_EQ(WithLocalPaths(npy->dataset)->test.y, "/cache/d/te/y.npy");

  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "npz", "path": "../../etc/passwd"}})"),
              HasSubstr("dataset.path: \"../../etc/passwd\" must name a file inside the uploaded data set"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "image-folder", "path": "/etc"}})"),
              HasSubstr("inside the uploaded data set"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "a", "format": "npy",
      "train": {"x": "x.npy", "y": "../y.npy"}, "test": {"x": "x.npy", "y": "y.npy"}}})"),
              HasSubstr("dataset.train.y"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "fm"}})"), HasSubstr("dataset.ref: give the uploaded data set's \"format\""));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "../x", "format": "npz"}})"), HasSubstr("dataset.ref: data set name"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "npz", "digest": "md5:1"}})"),
              HasSubstr("dataset.digest"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"format": "npz", "path": "d.npz", "digest": "sha256:1"}})"),
              HasSubstr("dataset.digest: only valid with dataset.ref"));
}

TEST(SpecTest, CalibrationFileIsAPathTheServiceChecksAndAnUploadResolves) {
  auto spec = ParseJobSpecText(
      R"({"model": "lenet5", "dataset": {"name": "fashion-mnist", "calibration": "/data/cal.npy"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->dataset.calibration, "/data/cal.npy");
  // A catalog data set with a calibration file: the file is what a --data-root policy checks.
  EXPECT_EQ(DatasetSpecPaths(spec->dataset),
            (std::vector<std::pair<std::string, std::string>>{{"dataset.calibration", "/data/cal.npy"}}));
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->dataset.calibration, "/data/cal.npy");
  EXPECT_FALSE(JobSpecToJson(*ParseJobSpecText(R"({"model": "lenet5"})"))["dataset"].contains("calibration"));
  auto upload = ParseJobSpecText(
      R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "npz", "calibration": "cal/x.npy"}})");
  ASSERT_TRUE(upload.ok()) << upload.status();
  upload->dataset.local_root = "/cache/d";
  EXPECT_EQ(WithLocalPaths(upload->dataset)->calibration, "/cache/d/cal/x.npy");
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"calibration": ""}})"),
              HasSubstr("dataset.calibration: must name an .npy file"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"calibration": 3}})"),
              HasSubstr("dataset.calibration: expected a string"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"ref": "fm", "format": "npz", "calibration": "../c.npy"}})"),
              HasSubstr("dataset.calibration: \"../c.npy\" must name a file inside the uploaded data set"));
}

TEST(SpecTest, LatencyBudgetNeedsAValidationSplit) {
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "dataset": {"validation_fraction": 0},
      "refine": {"latency_budget": 1000}})"),
              HasSubstr("refine.latency_budget: budget mode measures accuracy on the validation split"));
  // Without a budget, or with refinement off, no validation split is needed.
  EXPECT_TRUE(ParseJobSpecText(R"({"model": "lenet5", "dataset": {"validation_fraction": 0}})").ok());
  EXPECT_TRUE(ParseJobSpecText(R"({"model": "lenet5", "dataset": {"validation_fraction": 0},
      "refine": {"method": "none", "latency_budget": 1000}})").ok());
  EXPECT_TRUE(ParseJobSpecText(R"({"model": "lenet5", "refine": {"latency_budget": 1000}})").ok());
}

TEST(SpecTest, StrategyNamesComeFromTheCatalog) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5"})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->search.method, "bayesian_bits");
  EXPECT_EQ(JobSpecToJson(*spec)["search"]["method"], "bayesian_bits");
  // Every catalog name is accepted where it belongs; the error lists the catalog's names.
  for (const std::string& zoo : StrategyNames(StrategyKind::kZooModel)) {
    EXPECT_TRUE(ParseJobSpec({{"model", zoo}}).ok()) << zoo;
  }
  for (const std::string& prior : StrategyNames(StrategyKind::kPrior)) {
    EXPECT_TRUE(ParseJobSpec({{"model", "lenet5"}, {"search", {{"regularizer", prior}}}}).ok()) << prior;
  }
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "hawq"}})"),
              HasSubstr("search.method: unknown value \"hawq\"; expected one of: bayesian_bits, fracbits, none"));
  EXPECT_THAT(ErrorOf(R"({"model": "alexnet"})"),
              HasSubstr("model.zoo: unknown value \"alexnet\"; expected one of: lenet5, vgg7, resnet8, mobilenetv2"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "refine": {"method": "greedy"}})"),
              HasSubstr("refine.method: unknown value \"greedy\"; expected one of: freebits, none"));
  // A name added at run time (a test-only method) is accepted from then on.
  EXPECT_FALSE(ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "spec_test_only"}})").ok());
  ASSERT_TRUE(AddStrategy(StrategyKind::kSearchMethod, {"spec_test_only", "a test entry"}).ok());
  EXPECT_TRUE(ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "spec_test_only"}})").ok());
  EXPECT_EQ(AddStrategy(StrategyKind::kSearchMethod, {"spec_test_only", "again"}).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(SpecTest, GradL1PretrainingRoundTripsAndItsErrorsNameTheField) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "pretrain": {"epochs": 4,
      "grad_l1": {"lambda_a": 0.05, "start_epoch": 1}}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->pretrain.grad_l1.has_value());
  EXPECT_DOUBLE_EQ(spec->pretrain.grad_l1->lambda_a, 0.05);
  EXPECT_DOUBLE_EQ(spec->pretrain.grad_l1->lambda_w, 0);
  EXPECT_EQ(spec->pretrain.grad_l1->start_epoch, 1);
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*spec));
  // A plain job's JSON has no such block, so its pretrain-cache key is what it always was.
  EXPECT_FALSE(JobSpecToJson(*ParseJobSpecText(R"({"model": "lenet5"})"))["pretrain"].contains("grad_l1"));

  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "pretrain": {"grad_l1": {}}})"),
              HasSubstr("pretrain.grad_l1: lambda_w and lambda_a are both 0"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "pretrain": {"grad_l1": {"lambda_w": -1}}})"),
              HasSubstr("pretrain.grad_l1.lambda_w"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "pretrain": {"epochs": 3,
                          "grad_l1": {"lambda_a": 0.1, "start_epoch": 3}}})"),
              HasSubstr("pretrain.grad_l1.start_epoch: 3 leaves no gradient-L1 epoch"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "pretrain": {"grad_l1": {"lambda": 0.1}}})"),
              HasSubstr("pretrain.grad_l1.lambda"));
}

TEST(SpecTest, FracBitsFieldsRoundTripAndTheirErrorsNameTheField) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "fracbits",
      "target": {"relative_bops_percent": 1.5}, "kappa": 2, "round_at": 0.75,
      "per_channel": true, "keep_first_last_8bit": true, "max_bits": 16}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->search.target.has_value());
  EXPECT_DOUBLE_EQ(*spec->search.target->relative_bops_percent, 1.5);
  EXPECT_FALSE(spec->search.target->latency.has_value());
  EXPECT_DOUBLE_EQ(spec->search.kappa, 2);
  EXPECT_DOUBLE_EQ(spec->search.round_at, 0.75);
  EXPECT_TRUE(spec->search.per_channel);
  EXPECT_TRUE(spec->search.keep_first_last_8bit);
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*spec));
  auto latency = ParseJobSpecText(
      R"({"model": "lenet5", "search": {"method": "fracbits", "target": {"latency": 2e5}}})");
  ASSERT_TRUE(latency.ok()) << latency.status();
  EXPECT_DOUBLE_EQ(*latency->search.target->latency, 2e5);
  EXPECT_EQ(JobSpecToJson(*latency)["search"]["target"], (nlohmann::json{{"latency", 2e5}}));
  // Bayesian Bits' JSON carries none of them.
  EXPECT_FALSE(JobSpecToJson(*ParseJobSpecText(R"({"model": "lenet5"})"))["search"].contains("kappa"));

  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits"}})"),
              HasSubstr("search.target: search.method \"fracbits\" needs a target"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits", "target": {}}})"),
              HasSubstr("search.target: needs exactly one of"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"relative_bops_percent": 2, "latency": 5}}})"),
              HasSubstr("search.target: needs exactly one of"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"relative_bops_percent": 0}}})"),
              HasSubstr("search.target.relative_bops_percent"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"relative_bops_percent": 101}}})"),
              HasSubstr("search.target.relative_bops_percent"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"latency": -1}}})"),
              HasSubstr("search.target.latency"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"bops": 3}}})"),
              HasSubstr("search.target.bops"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"latency": 5}, "round_at": 1.5}})"),
              HasSubstr("search.round_at"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"latency": 5}, "kappa": -1}})"),
              HasSubstr("search.kappa"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"method": "fracbits",
                          "target": {"latency": 5}, "max_bits": 32}})"),
              HasSubstr("search.max_bits: fracbits blends the widths 2, 4, 8, 16"));
  // FracBits' fields with another method are refused, naming the field.
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"target": {"latency": 5}}})"),
              HasSubstr("search.target: only search.method \"fracbits\" takes it"));
  EXPECT_THAT(ErrorOf(R"({"model": "lenet5", "search": {"per_channel": true}})"),
              HasSubstr("search.per_channel: only search.method \"fracbits\" takes it"));
}

TEST(SpecTest, MissingFileNamesThePath) {
  auto spec = LoadJobSpecFile("/nonexistent/spec.json");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("/nonexistent/spec.json"));
}

}  // namespace
}  // namespace bitsearch
