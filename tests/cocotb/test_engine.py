"""cocotb testbench of rtl/l0_engine.v: clusters from a stimulus file, every output checked
against the golden model through the l0sim package.

Environment (the Makefile sets it): L0SIM_MODEL (the model the Verilog was exported from),
L0SIM_STIM (a stimulus file; empty: 40 singles are generated, seed 21), L0SIM_CLUSTERS (how
many clusters to send, from the first). The engine's shape comes from its ports: Lanes =
width of lane_valid_i, TagW = width of tag_i, OW = width of energy_o, NFeat x XW per lane.

To extend: add a @cocotb.test() below that builds its own list of (features, n_cells) and calls
drive_and_check(); or change Driver.beats() to send other beat patterns (gaps between
clusters, for example: the engine must give the same outputs)."""
import os
import tempfile

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

import l0sim


def load_clusters():
    model = l0sim.Model.load(os.environ["L0SIM_MODEL"])
    stim_path = os.environ.get("L0SIM_STIM") or ""
    if not stim_path:
        stim_path = os.path.join(tempfile.mkdtemp(prefix="l0sim-cocotb-"), "singles.l0s")
        l0sim.generate(stim_path, singles=40, seed=21, threads=1)
    stim = l0sim.read_stimulus(stim_path)
    idx = l0sim.infer_clusters(stim)[: int(os.environ.get("L0SIM_CLUSTERS", "40"))]
    x, n = model.features(stim, idx)
    return model, stim_path, x, n


def to_unsigned(raw, w):
    return int(raw) & ((1 << w) - 1)


def to_signed(u, w):
    return u - (1 << w) if u >> (w - 1) & 1 else u


class Driver:
    """One beat per clock, clusters back to back (as the stream drivers send them)."""

    def __init__(self, dut, model, x, n):
        self.dut, self.model = dut, model
        self.lanes = len(dut.lane_valid_i)
        self.tag_w = len(dut.tag_i)
        self.xw = len(dut.cells_i) // (self.lanes * model.n_features)
        # the quantized features, exactly as the golden model casts them
        q = l0sim.fx(model.input_type, x.reshape(-1)).raw.reshape(x.shape)
        self.q, self.n = q, n

    def beats(self, k):
        """Cluster k as (first, last, lane_valid, cells) beats."""
        n = int(self.n[k])
        nb = max(1, -(-n // self.lanes))
        for b in range(nb):
            word, lv = 0, 0
            for lane in range(self.lanes):
                c = b * self.lanes + lane
                if c >= n:
                    continue
                lv |= 1 << lane
                for f in range(self.model.n_features):
                    word |= to_unsigned(self.q[k, c, f], self.xw) << (
                        (lane * self.model.n_features + f) * self.xw)
            yield b == 0, b == nb - 1, lv, word

    async def run(self, last_beat_clock):
        dut = self.dut
        clock = 0
        for k in range(len(self.n)):
            for first, last, lv, word in self.beats(k):
                dut.valid_i.value = 1
                dut.first_i.value = int(first)
                dut.last_i.value = int(last)
                dut.lane_valid_i.value = lv
                dut.cells_i.value = word
                dut.tag_i.value = k % (1 << self.tag_w)
                await RisingEdge(dut.clk_i)
                clock += 1
                if last:
                    last_beat_clock[k] = clock
        dut.valid_i.value = 0
        dut.first_i.value = 0
        dut.last_i.value = 0
        dut.lane_valid_i.value = 0


async def drive_and_check(dut, model, x, n):
    """Send the clusters, collect every output, compare with l0sim's golden model."""
    golden = model.predict(x, n).raw
    ow, tag_w = len(dut.energy_o), len(dut.tag_i)
    cocotb.start_soon(Clock(dut.clk_i, 10, units="ns").start())
    dut.rst_ni.value = 0
    dut.valid_i.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk_i)
    await Timer(1, units="ns")
    dut.rst_ni.value = 1
    last_beat = {}
    drv = Driver(dut, model, x, n)
    outputs = []  # (clock, tag, raw)
    done = cocotb.start_soon(drv.run(last_beat))
    clock = 0
    for _ in range(10 * len(n) + 2000):
        await RisingEdge(dut.clk_i)
        clock += 1
        await ReadOnly()
        if dut.valid_o.value.is_resolvable and int(dut.valid_o.value) == 1:
            outputs.append((clock, int(dut.tag_o.value), to_signed(int(dut.energy_o.value), ow)))
        if len(outputs) == len(n):
            break
    await done
    assert len(outputs) == len(n), f"{len(outputs)} outputs for {len(n)} clusters"
    latencies = set()
    bad = []
    for k, (clk, tag, raw) in enumerate(outputs):
        if tag != k % (1 << tag_w) or raw != golden[k]:
            bad.append(f"cluster {k} ({n[k]} cells): tag {tag}, raw {raw}, golden {golden[k]}")
        latencies.add(clk - last_beat[k])
    assert not bad, f"{len(bad)} outputs differ from the golden model; first: {bad[0]}"
    assert len(latencies) == 1, f"the latency after the last beat varies: {sorted(latencies)}"
    dut._log.info("%d outputs equal to the golden model, bit for bit; each %d clocks after its "
                  "cluster's last beat", len(outputs), latencies.pop())


@cocotb.test()
async def stimulus_file_against_golden_model(dut):
    """Every cluster of the stimulus file through the engine, checked against l0sim."""
    model, path, x, n = load_clusters()
    dut._log.info("%s: %d clusters, model %s, %d lanes", path, len(n), model.name,
                  len(dut.lane_valid_i))
    await drive_and_check(dut, model, x, n)


@cocotb.test()
async def edge_cases_against_golden_model(dut):
    """An empty cluster, one cell, a full cluster at the model's cells_max, and saturating
    features: the corners a firmware change is most likely to break."""
    model, _, x, n = load_clusters()
    c = min(model.cells_max, 64)
    rng = np.random.default_rng(7)
    xs = np.zeros((5, c, model.n_features))
    ns = np.array([0, 1, c, c, 3], dtype=np.int32)
    xs[1, 0] = x[0, 0]
    xs[2] = rng.normal(0, 1, size=(c, model.n_features))
    xs[3] = 1e6  # every input saturates (or wraps) in input_t
    xs[4, :3] = -1e6
    await drive_and_check(dut, model, xs, ns)
