"""Parameter sharing: a dense layer's parameters grow with the image, a convolution's do not (seed 000 §5)."""
import gradiente as g
from gradiente import nn
from gradiente.lab import Experiment, register
from gradiente.lab.utils import count_flops, count_parameters

SIZES = (4, 8, 16, 32, 64)


@register
class ParameterSharingExperiment(Experiment):
    name = "conv_parameter_sharing"
    title = "Parameter sharing: a convolution's parameter count does not depend on the image size"
    claim = ("A dense layer mapping a C x S x S input to C' x S x S outputs has C C' S^4 weights; a 3x3 "
             "convolution with the same input and output shapes has 9 C C' weights whatever S is, because one "
             "kernel slides over every position. Both cost FLOPs proportional to the number of outputs times "
             "their fan-in, which stays small for the convolution.")
    seed_ref = "seed 000 §5 (2-D convolution sum, comparison table), seed 001 (parameter sharing)"

    def configs(self, quick):
        sizes = SIZES[:3] if quick else SIZES
        return [{"layer": k, "size": s, "channels_in": 3, "channels_out": 8, "seed": 0}
                for k in ("dense", "conv") for s in sizes]

    def run(self, config, recorder):
        s, ci, co = config["size"], config["channels_in"], config["channels_out"]
        if config["layer"] == "dense":
            layer = nn.Sequential(nn.Flatten(), nn.Linear(ci * s * s, co * s * s))
        else:
            layer = nn.Conv2d(ci, co, 3, padding=1)
        x = g.randn(2, ci, s, s)
        return {"params": count_parameters(layer), "flops_per_sample": count_flops(layer, x),
                "formula": ci * co * s ** 4 + co * s * s if config["layer"] == "dense" else 9 * ci * co + co}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for i, k in enumerate(("dense", "conv")):
            rs = sorted((r for r in runs if r.config["layer"] == k), key=lambda r: r.config["size"])
            xs = [r.config["size"] for r in rs]
            ax[0].loglog(xs, [r.final["params"] for r in rs], "o-", color=f"C{i}", label=k)
            ax[1].loglog(xs, [r.final["flops_per_sample"] for r in rs], "o-", color=f"C{i}", label=k)
        ax[0].set(xlabel="image side S", ylabel="parameters", title="parameters (3 -> 8 channels, S x S)")
        ax[1].set(xlabel="image side S", ylabel="FLOPs per sample", title="forward FLOPs")
        for a in ax:
            a.legend()
        return [save_figure(fig, f"{fig_dir}/conv_parameter_sharing.png")]

    def table(self, runs):
        return [{"layer": r.config["layer"], "S": r.config["size"], "params": r.final["params"],
                 "FLOPs/sample": r.final["flops_per_sample"]}
                for r in sorted(runs, key=lambda r: (r.config["layer"], r.config["size"]))]

    def verdict(self, runs):
        conv = sorted((r for r in runs if r.config["layer"] == "conv"), key=lambda r: r.config["size"])
        dense = sorted((r for r in runs if r.config["layer"] == "dense"), key=lambda r: r.config["size"])
        if len(conv) < 2 or len(dense) < 2:
            return None, "at least two sizes of each layer are needed"
        const = len({r.final["params"] for r in conv}) == 1
        exact = all(r.final["params"] == r.final["formula"] for r in conv + dense)
        growth = dense[-1].final["params"] / dense[0].final["params"]
        ratio = (dense[-1].config["size"] / dense[0].config["size"]) ** 4
        return const and exact, (
            f"the 3x3 convolution keeps {conv[0].final['params']:,} parameters from S={conv[0].config['size']} to "
            f"S={conv[-1].config['size']}, while the dense layer grows {growth:,.0f}-fold (S^4 predicts "
            f"{ratio:,.0f}); counts {'match' if exact else 'do not match'} the formulas")
