#ifndef CENTRALINO_FUZZER_DRIVER_H
#define CENTRALINO_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt FuzzerInterface.h). SwiftPM links every executable with
/// `--defsym main=<Target>_main`, so libFuzzer's own `main` is never used: each fuzz target
/// defines `<Target>_main` and hands its arguments and its `LLVMFuzzerTestOneInput` to this.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
