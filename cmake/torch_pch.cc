// Compiled only to produce the precompiled <torch/torch.h> that every LibTorch target of the
// build reuses (bitsearch_torch_pch in the top-level CMakeLists.txt).
