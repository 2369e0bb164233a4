/* The LHC filling scheme: 2808 of 3564 slots, 39 trains of 72, the gaps, the abort gap. */
#include "gen_check.h"
#include "l0_fill.h"

int main(void) {
    uint8_t f[L0_FILL_SLOTS];
    int n = l0_fill_nominal(f);
    int count = 0;
    for (int i = 0; i < L0_FILL_SLOTS; i++) count += f[i];
    CHECK(n == 2808 && count == 2808, "%d filled slots (returned %d), expected 2808", count, n);
    CHECK(f[0] == 1, "slot 0 is not the first bunch");

    /* trains: runs of filled slots; gaps: runs of empty ones */
    int trains = 0, bad_train = 0, gaps[8] = {0}, ngap = 0, run = 0, last_gap = 0;
    for (int i = 0; i <= L0_FILL_SLOTS; i++) {
        int v = i < L0_FILL_SLOTS ? f[i] : -1;
        int prev = i ? f[i - 1] : -1;
        if (i && v != prev) {
            if (prev == 1) {
                trains++;
                bad_train += run != 72;
            } else {
                last_gap = run;
                if (run == 8)
                    gaps[0]++;
                else if (run == 38)
                    gaps[1]++; /* 8 + 30 */
                else if (run == 39)
                    gaps[2]++; /* 8 + 31 */
                else if (run == 119)
                    gaps[3]++; /* 8 + 30 + 81: the abort gap */
                else
                    ngap++;
            }
            run = 0;
        }
        run++;
    }
    CHECK(trains == 39, "%d trains, expected 39", trains);
    CHECK(bad_train == 0, "%d trains not of 72 bunches", bad_train);
    CHECK(ngap == 0, "%d gaps of unexpected length", ngap);
    CHECK(gaps[3] == 1 && last_gap == 119, "abort gap: last gap %d slots, expected 119", last_gap);
    CHECK(gaps[2] == 3, "%d SPS gaps of 8 + 31, expected 3", gaps[2]);
    CHECK(gaps[1] == 8, "%d SPS gaps of 8 + 30, expected 8", gaps[1]);
    CHECK(gaps[0] == 27, "%d PS gaps of 8, expected 27", gaps[0]);
    /* 119 slots of 24.95 ns: about 3 us */
    CHECK(119 * 24.95e-3 > 2.9 && 119 * 24.95e-3 < 3.1, "abort gap not about 3 us");
    for (int i = 3445; i < L0_FILL_SLOTS; i++)
        CHECK(f[i] == 0, "slot %d in the abort gap filled", i);
    CHECK(f[3444] == 1, "slot 3444 (last bunch) empty");
    GEN_TEST_END("test_gen_fill");
}
