"""What the filters learn: first-layer kernels and feature maps of a CNN trained on the digits (seed 000 §5)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, load_digits_data, train
from gradiente.models import SimpleCNN


@register
class ConvFiltersExperiment(Experiment):
    name = "conv_filters"
    title = "What the first convolutional layer learns: local edge and stroke detectors"
    claim = ("Trained on digits, the first layer's 3x3 kernels move from random noise to structured detectors "
             "(oriented differences: edges and strokes), and each feature map lights up where its pattern "
             "occurs in the image: the same kernel applied at every position (seed 000 §5).")
    seed_ref = "seed 000 §5 (2-D convolution), seed 001 (feature maps, multichannel convolution)"

    def setup(self):
        load_digits_data(flat=False)

    def configs(self, quick):
        return [{"model": "simple_cnn", "channels": 8, "epochs": 3 if quick else 20, "seed": 0}]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data(flat=False)
        model = SimpleCNN(channels=(config["channels"], 16), hidden=64)
        conv = model.features[0]
        recorder.log("filters_init", conv.weight.numpy()[:, 0].tolist())
        opt = g.optim.Adam(model.parameters(), lr=2e-3)
        out = train(model, opt, cross_entropy, Xtr, ytr, config["epochs"], 32, Xv, yv, recorder=recorder,
                    eval_train=False)
        w = conv.weight.numpy()[:, 0]
        recorder.log("filters", w.tolist())
        sample = Xv[:4]
        with g.no_grad():
            maps = model.features[1](conv(g.tensor(sample))).numpy()
        recorder.log("images", sample[:, 0].tolist())
        recorder.log("feature_maps", maps.tolist())
        w0 = np.asarray(recorder.logs["filters_init"])
        # structure: fraction of a kernel's energy in its mean-free part along rows/columns (edges vs noise)
        smooth = float(np.mean([_smoothness(k) for k in w]))
        smooth0 = float(np.mean([_smoothness(k) for k in w0]))
        return {"val_acc": out["history"][-1]["val_acc"], "kernel_smoothness": smooth,
                "kernel_smoothness_init": smooth0, "filter_change": float(np.linalg.norm(w - w0) / np.linalg.norm(w0)),
                "params": count_parameters(model), "flops_per_sample": count_flops(model, g.tensor(Xv[:8]))}

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        r = runs[0]
        filters0, filters = np.asarray(r.logs["filters_init"]), np.asarray(r.logs["filters"])
        images, maps = np.asarray(r.logs["images"]), np.asarray(r.logs["feature_maps"])
        k = len(filters)
        fig, ax = plt.subplots(2 + len(images), k + 1, figsize=(1.3 * (k + 1), 1.4 * (2 + len(images))))
        for a in ax.ravel():
            a.axis("off")
        for j in range(k):
            for row, f in ((0, filters0[j]), (1, filters[j])):
                lim = np.abs(f).max() + 1e-12
                ax[row, j + 1].imshow(f, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax[0, 0].text(0.5, 0.5, "kernels\nat init", ha="center", va="center", fontsize=8)
        ax[1, 0].text(0.5, 0.5, "kernels\ntrained", ha="center", va="center", fontsize=8)
        for i, img in enumerate(images):
            ax[2 + i, 0].imshow(img, cmap="gray_r")
            for j in range(k):
                ax[2 + i, j + 1].imshow(maps[i, j], cmap="viridis")
        fig.suptitle("first-layer 3x3 kernels (top) and their ReLU feature maps for four test digits", fontsize=10)
        return [save_figure(fig, f"{fig_dir}/conv_filters.png")]

    def table(self, runs):
        return [{k: r.final[k] for k in ("val_acc", "kernel_smoothness_init", "kernel_smoothness", "filter_change")}
                for r in runs]

    def verdict(self, runs):
        if not runs:
            return None, "no run"
        r = runs[0].final
        ok = r["kernel_smoothness"] > r["kernel_smoothness_init"] and r["val_acc"] > 0.8
        return ok, (f"after training (validation accuracy {r['val_acc']:.3f}) the kernels changed by "
                    f"{r['filter_change']:.0%} of their initial norm; their spatial smoothness (share of energy in "
                    f"low frequencies) went from {r['kernel_smoothness_init']:.2f} at init to "
                    f"{r['kernel_smoothness']:.2f}: structured detectors rather than noise")


def _smoothness(k):
    """Share of a kernel's energy in its lowest spatial frequencies (1 = constant or a single slope)."""
    f = np.abs(np.fft.fft2(k)) ** 2
    low = f[0, 0] + f[0, 1] + f[1, 0] + f[0, -1] + f[-1, 0]
    return float(low / (f.sum() + 1e-12))
