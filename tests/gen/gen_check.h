/* A minimal check macro for the generator's tests: prints what failed and where, counts. */
#ifndef GEN_CHECK_H
#define GEN_CHECK_H

#include <stdio.h>

static int gen_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            gen_failures++;                                                                        \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define GEN_TEST_END(name)                                                                         \
    do {                                                                                           \
        if (gen_failures) {                                                                        \
            fprintf(stderr, "%s: %d check(s) failed\n", name, gen_failures);                       \
            return 1;                                                                              \
        }                                                                                          \
        printf("%s: all checks passed\n", name);                                                   \
        return 0;                                                                                  \
    } while (0)

#endif
