"""Knowledge distillation: teacher, student from labels, student from the teacher (seed 002 §3.12)."""
import numpy as np

import gradiente as g
from gradiente.lab import Experiment, register
from gradiente.lab.nets import MLP
from gradiente.lab.utils import count_flops, count_parameters, cross_entropy, evaluate, load_digits_data, rng, train

STUDENTS = ("student from labels", "student from teacher")


@register
class DistillationExperiment(Experiment):
    name = "distillation"
    title = "A distilled student beats the same student trained on labels alone"
    claim = ("A small student trained on the softened outputs of a large teacher (temperature T, loss "
             "alpha T^2 KL + (1 - alpha) CE) generalises better than the same student trained on the hard labels "
             "of the same few examples: the teacher's soft targets carry how classes resemble each other.")
    seed_ref = "seed 002 §3.12 (knowledge distillation, temperature softmax)"

    def setup(self):
        load_digits_data()

    def configs(self, quick):
        seeds = [0, 1] if quick else [0, 1, 2, 3, 4]
        return [{"n_student_train": 100, "T": 4.0, "alpha": 0.9, "teacher_epochs": 12 if quick else 30,
                 "student_epochs": 80 if quick else 200, "seed": s} for s in seeds]

    def run(self, config, recorder):
        Xtr, ytr, Xv, yv = load_digits_data()
        teacher = MLP(64, [256, 256], 10)
        train(teacher, g.optim.Adam(teacher.parameters(), lr=1e-3), cross_entropy, Xtr, ytr,
              config["teacher_epochs"], 32, eval_train=False)
        _, teacher_acc = evaluate(teacher, Xv, yv, cross_entropy)
        n = config["n_student_train"]
        Xs, ys = Xtr[:n], ytr[:n]
        with g.no_grad():
            teacher_logits = teacher(g.tensor(Xs)).data
        final = {"teacher_val_acc": teacher_acc, "teacher_params": count_parameters(teacher)}
        for i, kind in enumerate(STUDENTS):
            student = MLP(64, [64], 10)
            opt = g.optim.Adam(student.parameters(), lr=3e-3)
            curve = []
            for epoch in range(1, config["student_epochs"] + 1):
                student.train()
                order = rng().permutation(n)
                for start in range(0, n, 32):
                    idx = order[start:start + 32]
                    out = student(g.tensor(Xs[idx]))
                    labels = g.tensor(ys[idx])
                    if kind == "student from labels":
                        loss = cross_entropy(out, labels)
                    else:
                        loss = g.nn.functional.distillation_loss(out, g.tensor(teacher_logits[idx]), labels,
                                                                 T=config["T"], alpha=config["alpha"])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                if epoch % 10 == 0 or epoch == 1:
                    _, acc = evaluate(student, Xv, yv, cross_entropy)
                    curve.append([epoch, acc])
                    recorder.log_epoch(i * 10000 + epoch, student=kind, val_acc=acc)
            key = kind.replace(" ", "_")
            final[f"{key}_val_acc"] = evaluate(student, Xv, yv, cross_entropy)[1]
            recorder.log(f"curve_{key}", curve)
        final["params"] = count_parameters(student)
        final["flops_per_sample"] = count_flops(student, g.tensor(Xv[:8]))
        final["teacher_flops_per_sample"] = count_flops(teacher, g.tensor(Xv[:8]))
        return final

    def table(self, runs):
        if not runs:
            return []
        rows = [{"model": "teacher (64-256-256-10, all 1437 training digits)",
                 "params": runs[0].final["teacher_params"],
                 "FLOPs/sample": runs[0].final["teacher_flops_per_sample"],
                 "val accuracy": float(np.mean([r.final["teacher_val_acc"] for r in runs])), "std": None}]
        for kind in STUDENTS:
            accs = [r.final[f"{kind.replace(' ', '_')}_val_acc"] for r in runs]
            rows.append({"model": f"{kind} (64-64-10, {runs[0].config['n_student_train']} digits)",
                         "params": runs[0].final["params"], "FLOPs/sample": runs[0].final["flops_per_sample"],
                         "val accuracy": float(np.mean(accs)), "std": float(np.std(accs))})
        return rows

    def figure(self, runs, fig_dir):
        from gradiente.lab.report import pyplot, save_figure

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for r in runs:
            for i, kind in enumerate(STUDENTS):
                c = np.array(r.logs[f"curve_{kind.replace(' ', '_')}"])
                ax.plot(c[:, 0], c[:, 1], "o-", color=f"C{i}", alpha=0.7, label=kind if r is runs[0] else None)
        t = float(np.mean([r.final["teacher_val_acc"] for r in runs]))
        ax.axhline(t, color="k", ls=":", label=f"teacher ({t:.3f})")
        ax.set_xlabel("student epoch")
        ax.set_ylabel("validation accuracy")
        ax.legend(fontsize=8)
        return [save_figure(fig, f"{fig_dir}/distillation.png")]

    def verdict(self, runs):
        if not runs:
            return None, "no runs"
        lab = [r.final["student_from_labels_val_acc"] for r in runs]
        kd = [r.final["student_from_teacher_val_acc"] for r in runs]
        wins = sum(k > l for k, l in zip(kd, lab))
        ok = np.mean(kd) > np.mean(lab) and wins > len(runs) / 2
        return bool(ok), (f"the distilled student reaches {np.mean(kd):.3f} validation accuracy against "
                          f"{np.mean(lab):.3f} from labels alone (better in {wins} of {len(runs)} seeds); "
                          f"the teacher {np.mean([r.final['teacher_val_acc'] for r in runs]):.3f}")
