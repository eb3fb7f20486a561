"""Generative models on the 8x8 digits: VAE and GAN samples, VAE latent interpolation, loss curves
(seed 002 §4.9-§4.10)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.experiments.conv_common import FlatMLP
from gradiente.lab.utils import count_parameters, cross_entropy, load_digits_data, train
from gradiente.models import GAN, VAE, ConvVAE, DCGANDiscriminator, DCGANGenerator, Discriminator, Generator, vae_loss
from gradiente.models.gan import image_grid

MODELS = ("vae", "conv_vae", "gan", "dcgan")


def _judge(X, y):
    """A small MLP digit classifier, used to tell whether generated samples look like digits."""
    clf = FlatMLP(64, [128], 10)
    Xtr, ytr = X.reshape(-1, 1, 8, 8), y
    train(clf, g.optim.Adam(clf.parameters(), lr=2e-3), cross_entropy, Xtr, ytr, 15, 64, eval_train=False)
    clf.eval()
    return clf


def _sample_quality(clf, samples):
    """(mean top class probability, number of distinct predicted classes) of generated samples."""
    with g.no_grad():
        p = g.nn.functional.softmax(clf(g.tensor(samples.reshape(-1, 1, 8, 8))), dim=1).numpy()
    return float(p.max(1).mean()), int(len(np.unique(p.argmax(1))))


def _batches(n, bs, rng):
    perm = rng.permutation(n)
    return [perm[i:i + bs] for i in range(0, n - bs + 1, bs)]


@register
class GenerativeDigitsExperiment(Experiment):
    name = "generative_digits"
    title = "VAEs and GANs learn to generate digits"
    claim = ("A VAE trained on the ELBO (reconstruction + KL to N(0, I)) and a GAN trained adversarially with "
             "BCE both turn N(0, I) noise into images that a digit classifier recognises with confidence and "
             "spread over the ten classes; the VAE's latent space is smooth, so decoding points on the line "
             "between two codes morphs one digit into the other.")
    seed_ref = "seed 002 §4.9 (autoencoders, VAE, reparameterisation), §4.10 (GAN), §4.2 (transposed convolution)"

    def setup(self):
        load_digits_data(flat=False)

    def configs(self, quick):
        quick_epochs = {"vae": 120, "conv_vae": 60, "gan": 100, "dcgan": 30}
        return [{"model": m, "epochs": quick_epochs[m] if quick else (150 if "vae" in m else 400),
                 "latent_dim": 8 if "vae" in m else 16, "seed": 0} for m in MODELS]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data(flat=False)
        rng = np.random.default_rng(config["seed"])
        kind = config["model"]
        if "vae" in kind:
            model = self._train_vae(kind, config, Xtr, Xv, rng, recorder)
            model.eval()
            with g.no_grad():
                samples = model.sample(64).numpy().reshape(-1, 8, 8)
                a, b = Xv[yv == 0][:1], Xv[yv == 1][:1]
                enc = (lambda x: model.encode(g.tensor(x.reshape(1, -1)))) if kind == "vae" else \
                    (lambda x: model.encode(g.tensor(x)))
                za, zb = enc(a)[0].numpy(), enc(b)[0].numpy()
                t = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
                interp = model.decode(g.tensor((1 - t) * za + t * zb)).numpy().reshape(-1, 8, 8)
            recorder.log("interpolation", interp.tolist())
        else:
            model = self._train_gan(kind, config, Xtr, rng, recorder)
            model.eval()
            with g.no_grad():
                samples = model.sample(64).numpy().reshape(-1, 8, 8)
        recorder.log("samples", samples.tolist())
        conf, classes = _sample_quality(_judge(Xtr, ytr), samples)
        return {"sample_confidence": conf, "sample_classes": classes, "params": count_parameters(model)}

    def _train_vae(self, kind, config, Xtr, Xv, rng, recorder):
        model = VAE(64, config["latent_dim"], 256) if kind == "vae" else ConvVAE(1, 8, config["latent_dim"])
        opt = g.optim.Adam(model.parameters(), lr=1e-3)
        shape = (-1, 64) if kind == "vae" else (-1, 1, 8, 8)
        for epoch in range(1, config["epochs"] + 1):
            model.train()
            tot = rec_t = kl_t = 0.0
            batches = _batches(len(Xtr), 64, rng)
            for idx in batches:
                x = g.tensor(Xtr[idx].reshape(shape))
                recon, mu, logvar = model(x)
                loss, rec, kl = vae_loss(recon, x, mu, logvar)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot, rec_t, kl_t = tot + loss.item(), rec_t + rec.item(), kl_t + kl.item()
            n = len(batches)
            recorder.log_epoch(epoch, loss=tot / n, reconstruction=rec_t / n, kl=kl_t / n)
        return model

    def _train_gan(self, kind, config, Xtr, rng, recorder):
        z = config["latent_dim"]
        gen, disc = (Generator(z), Discriminator()) if kind == "gan" else (DCGANGenerator(z), DCGANDiscriminator())
        gan = GAN(gen, disc)
        opt_g = g.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
        opt_d = g.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
        for epoch in range(1, config["epochs"] + 1):
            gan.train()
            dl = gl = 0.0
            batches = _batches(len(Xtr), 64, rng)
            for idx in batches:
                d, gg = gan.train_step(g.tensor(Xtr[idx]), opt_g, opt_d)
                dl, gl = dl + d, gl + gg
            recorder.log_epoch(epoch, d_loss=dl / len(batches), g_loss=gl / len(batches))
        return gan

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        by = {r.config["model"]: r for r in runs}
        paths = []
        fig, ax = plt.subplots(1, len(by), figsize=(4 * len(by), 4.4))
        ax = np.atleast_1d(ax)
        for a, (m, r) in zip(ax, by.items()):
            a.imshow(image_grid(np.asarray(r.logs["samples"]), nrow=8), cmap="gray_r", vmin=0, vmax=1)
            a.set_title(f"{m} samples (classifier confidence {r.final['sample_confidence']:.2f})", fontsize=9)
            a.axis("off")
        paths.append(save_figure(fig, f"{fig_dir}/generative_samples.png", dpi=100))
        fig, ax = plt.subplots(1, 3, figsize=(15, 3.6))
        for m, r in by.items():
            if "vae" in m:
                xs, ys = r.curve("loss")
                ax[0].plot(xs, ys, label=f"{m} -ELBO")
                xs, ys = r.curve("kl")
                ax[0].plot(xs, ys, "--", label=f"{m} KL")
            else:
                for key, ls in (("d_loss", "-"), ("g_loss", "--")):
                    xs, ys = r.curve(key)
                    ax[1].plot(xs, ys, ls, label=f"{m} {key}")
        ax[0].set(xlabel="epoch", ylabel="per sample", title="VAE: negative ELBO and KL term", yscale="log")
        ax[1].set(xlabel="epoch", ylabel="BCE", title="GAN: discriminator and generator losses")
        inter = [r for m, r in by.items() if "interpolation" in r.logs]
        if inter:
            rows = np.concatenate([np.asarray(r.logs["interpolation"]) for r in inter])
            ax[2].imshow(image_grid(rows, nrow=10), cmap="gray_r", vmin=0, vmax=1)
            ax[2].set_title("VAE latent interpolation 0 -> 1 (" + ", ".join(r.config["model"] for r in inter) + ")",
                            fontsize=9)
        ax[2].axis("off")
        for a in ax[:2]:
            a.legend(fontsize=7)
        paths.append(save_figure(fig, f"{fig_dir}/generative_curves.png"))
        return paths

    def table(self, runs):
        rows = []
        for r in runs:
            last = r.epochs[-1] if r.epochs else {}
            rows.append({"model": r.config["model"], "epochs": r.config["epochs"], "params": r.final["params"],
                         "sample confidence": r.final["sample_confidence"],
                         "classes among 64 samples": r.final["sample_classes"],
                         "final loss": last.get("loss", last.get("g_loss"))})
        return rows

    def verdict(self, runs):
        if not runs:
            return None, "no run"
        good = [r for r in runs if r.final["sample_confidence"] >= 0.7 and r.final["sample_classes"] >= 8]
        names = ", ".join(f"{r.config['model']} {r.final['sample_confidence']:.2f}/{r.final['sample_classes']}"
                          for r in runs)
        has_vae = any("vae" in r.config["model"] for r in good)
        has_gan = any("gan" in r.config["model"] for r in good)
        return has_vae and has_gan, (f"classifier confidence / distinct classes over 64 samples: {names}; a model "
                                     "counts as generating digits at confidence >= 0.7 over >= 8 classes")
