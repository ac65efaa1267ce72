// A CHECK for programmer errors in the trainer (the Debian Abseil predates absl/log).
#ifndef AUGUR_TRAINER_CHECK_H_
#define AUGUR_TRAINER_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define AUGUR_CHECK(cond, msg)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: %s\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

#endif  // AUGUR_TRAINER_CHECK_H_
