"""CausalVAE: disentangled concepts of an image with a causal layer between them (Yang, Liu, Chen,
Shen, Hao & Wang 2021, "CausalVAE: disentangled representation learning via neural structural
causal models", CVPR)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from deepcausal.data import check_images
from deepcausal.discovery import expm_acyclicity
from deepcausal.errors import DataError, NotFittedError
from deepcausal.nn import TrainConfig, seed_everything, train, validation_split

__all__ = ["CausalVAE"]

_DEFAULT = TrainConfig(max_epochs=60, batch_size=64, lr=1e-3, patience=10, progress=False)


class _Net(nn.Module):
    def __init__(self, shape: tuple[int, int, int], n: int, hidden: int) -> None:
        super().__init__()
        c, h, w = shape
        self.shape = shape
        self.encoder = nn.Sequential(
            nn.Conv2d(c, 32, 4, 2, 1), nn.ELU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ELU(),
            nn.Conv2d(64, 64, 4, 2, 1), nn.ELU(), nn.Flatten(),
        )  # fmt: skip
        with torch.no_grad():
            flat = int(self.encoder(torch.zeros(1, c, h, w)).shape[1])
        self.to_eps = nn.Sequential(nn.Linear(flat, hidden), nn.ELU(), nn.Linear(hidden, 2 * n))
        self.small = (math.ceil(h / 8), math.ceil(w / 8))
        self.from_z = nn.Sequential(
            nn.Linear(n, hidden), nn.ELU(), nn.Linear(hidden, 64 * self.small[0] * self.small[1]),
            nn.ELU(),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ELU(), nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ELU(), nn.ConvTranspose2d(32, c, 4, 2, 1),
        )  # fmt: skip
        self.A = nn.Parameter(torch.zeros(n, n))  # A[j, i]: weight of the edge j -> i
        # the edges A may use: all but self-loops, or a given graph's (acyclic by construction)
        self.support: Tensor
        self.register_buffer("support", 1 - torch.eye(n))
        self.mask = nn.ModuleList(
            nn.Sequential(nn.Linear(n, 32), nn.ELU(), nn.Linear(32, 1)) for _ in range(n)
        )

    def adjacency(self) -> Tensor:
        return self.A * self.support

    def decode(self, z: Tensor) -> Tensor:
        grid = self.from_z(z).reshape(z.shape[0], 64, *self.small)
        return torch.sigmoid(self.decoder(grid)[:, :, : self.shape[1], : self.shape[2]])

    def mechanisms(self, z: Tensor, parents: Tensor) -> Tensor:
        """``g_i(P_i ∘ z)`` for every concept ``i``: each from its parents' values only, ``P`` the
        0/1 parent pattern of the DAG."""
        return torch.cat([g(z * parents[:, i]) for i, g in enumerate(self.mask)], dim=1)

    def parents(self, threshold: float, given: bool) -> Tensor:
        """The 0/1 parent pattern: a given graph's edges, or the learned ``|A| > threshold``."""
        if given:
            return self.support
        return (self.adjacency().detach().abs() > threshold).float()


class CausalVAE:
    """CausalVAE (Yang et al. 2021) for images with labelled concepts.

    The encoder gives independent exogenous factors ``ε ~ q(ε | x)``; a linear causal layer turns
    them into concepts, ``z = (I - Aᵀ)⁻¹ ε``, one per labelled concept; the decoder draws the image
    from ``z``. Training maximises the ELBO with the paper's conditional prior, the concepts'
    labels ``u`` (standardised) as its mean: ``KL(q(ε | x) || N(0, I)) + KL(q(z | x) || N(u,
    σ²I))``, plus the label term ``||u - Aᵀu||²`` that learns ``A``, NOTEARS' acyclicity
    ``h(A ∘ A)`` with a fixed quadratic penalty, and the mask layer: per concept a small network
    ``g_i(P_i ∘ z)`` of its parents, fitted to ``z_i``, where ``P`` is the 0/1 parent pattern (a
    given graph's edges, or ``|A| > threshold``). The paper feeds ``A_i ∘ z``; the linear label
    term keeps the weight of a parent small where the child is not linear in it (a shadow's length
    in the pendulum and the light), and the mask network then barely sees that parent, so the
    pattern is used instead. An intervention sets concepts and recomputes
    their descendants in the learned DAG with the mask layer, each keeping its own residual
    (abduction, action, prediction), then decodes.

    Simplifications, stated: one latent coordinate per concept, a Gaussian decoder with a fixed
    scale on images in ``[0, 1]``, a fixed penalty weight instead of the augmented Lagrangian's
    schedule. The label term is linear NOTEARS's score, so the schedule would not change which DAG
    it prefers: on the pendulum's noise-free labels, NOTEARS run to convergence learns the same
    wrong DAG as this model (docs/benchmarks.md), and a DAG from PC, passed as ``graph``, is
    right.

    Args:
        concept_names: the label columns, in order.
        prior_scale: ``σ`` of the conditional prior (small: labels pin the concepts down).
        pixel_scale: the decoder's fixed standard deviation per pixel; a smaller one weighs
            reconstruction more against the labels.
        threshold: ``|A|`` above which an edge is kept in the learned graph.
        acyclicity: weight of ``h(A ∘ A)`` and of its square.
        label_weight: weight of the label term that learns ``A``.
        sparsity: L1 weight on ``A`` (among equally good DAGs, the sparser: the v-structure of
            two independent causes, rather than edges out of their common effect).
        hidden: width of the dense layers.
        graph: a DAG over the concepts (a ``CausalGraph`` or its string) whose edges are the only
            ones ``A`` may use: prior knowledge as a hard constraint; ``None`` learns the DAG.
        train_config: training settings.
        random_state: seed.
    """

    def __init__(
        self,
        concept_names: list[str],
        *,
        prior_scale: float = 0.1,
        pixel_scale: float = 0.5,
        threshold: float = 0.2,
        acyclicity: float = 100.0,
        label_weight: float = 10.0,
        sparsity: float = 0.05,
        hidden: int = 256,
        graph: Any = None,
        train_config: TrainConfig | None = None,
        random_state: int | None = 0,
    ) -> None:
        self.concept_names = list(concept_names)
        self.graph = graph
        self.prior_scale = prior_scale
        self.pixel_scale = pixel_scale
        self.threshold = threshold
        self.acyclicity = acyclicity
        self.label_weight = label_weight
        self.sparsity = sparsity
        self.hidden = hidden
        self.train_config = train_config
        self.random_state = random_state

    # -- fitting
    def fit(self, images: np.ndarray, labels: pd.DataFrame) -> CausalVAE:
        """Train on images ``(n, C, H, W)`` in ``[0, 1]`` and their concept labels."""
        x = check_images(images)
        missing = [c for c in self.concept_names if c not in labels.columns]
        if missing:
            raise DataError(f"the labels lack the concept column(s) {missing}")
        u = labels[self.concept_names].to_numpy(dtype=float)
        if len(u) != len(x):
            raise DataError(f"{len(x)} images for {len(u)} rows of labels")
        if not np.isfinite(u).all():
            raise DataError("the labels hold NaN or infinite values")
        cfg = self.train_config or _DEFAULT
        cfg = dataclasses.replace(cfg, random_state=seed_everything(self.random_state))
        self.u_mean_, sd = u.mean(0), u.std(0)
        self.u_scale_ = np.where(sd > 0, sd, 1.0)
        n = len(self.concept_names)
        c, h, w = (int(s) for s in x.shape[1:])
        net = _Net((c, h, w), n, int(self.hidden))
        if self.graph is not None:
            net.support.copy_(self._support())
        xx = torch.as_tensor(x, dtype=torch.float32)
        uu = torch.as_tensor((u - self.u_mean_) / self.u_scale_, dtype=torch.float32)
        sigma2 = float(self.prior_scale) ** 2
        pixel_var = float(self.pixel_scale) ** 2
        eye = torch.eye(n)

        def loss(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
            xb, ub = batch
            stats = net.to_eps(net.encoder(xb))
            mean, log_var = stats[:, :n], stats[:, n:].clamp(-8, 4)
            A = net.adjacency()
            # A is learned from the labels (the label term, under the acyclicity penalty); the
            # causal layer uses it as it stands, so reconstruction cannot shrink it to nothing
            C = torch.linalg.inv(eye.to(A) - A.detach().T)  # z = C ε
            eps = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
            z = eps @ C.T
            recon = ((net.decode(z) - xb) ** 2).sum((1, 2, 3)) / (2 * pixel_var)
            kl_eps = 0.5 * (mean**2 + log_var.exp() - 1 - log_var).sum(1)
            # q(z | x) = N(C m, C diag(s²) Cᵀ) against the conditional prior N(u, σ² I)
            z_mean = mean @ C.T
            cov_trace = (log_var.exp()[:, None, :] * C[None] ** 2).sum((1, 2))
            logdet = log_var.sum(1) + 2 * torch.log(torch.abs(torch.det(C)))
            kl_z = 0.5 * (cov_trace / sigma2 + ((z_mean - ub) ** 2).sum(1) / sigma2 - n
                          + n * math.log(sigma2) - logdet)  # fmt: skip
            label = ((ub - ub @ A) ** 2).sum(1) + self.sparsity * A.abs().sum()
            pattern = net.parents(self.threshold, self.graph is not None)
            mask = ((z.detach() - net.mechanisms(z.detach(), pattern)) ** 2).sum(1)
            h = expm_acyclicity(A * A)
            return {
                "reconstruction": recon.mean(),
                "kl": (kl_eps + kl_z).mean(),
                "label": self.label_weight * label.mean(),
                "mask": mask.mean(),
                "acyclicity": self.acyclicity * (h + h * h),
            }

        split = validation_split(len(x), cfg)
        self.train_result_ = train(net, loss, [xx, uu], cfg, split=split,
                                   description="CausalVAE")  # fmt: skip
        net.eval()
        self.net_ = net
        return self

    def _support(self) -> Tensor:
        from deepcausal.graph import as_graph

        g = as_graph(self.graph)
        unknown = [v for v in g.nodes if v not in self.concept_names]
        if unknown:
            raise DataError(
                f"the graph names {unknown}, which are not concepts {self.concept_names}"
            )
        support = torch.zeros(len(self.concept_names), len(self.concept_names))
        for a, b in g.directed_edges:
            support[self.concept_names.index(a), self.concept_names.index(b)] = 1.0
        return support

    # -- the learned model
    @property
    def adjacency_(self) -> pd.DataFrame:
        """The learned weights ``A[j, i]`` of the edges ``j -> i``."""
        self._check_fitted()
        A = self.net_.adjacency().detach().cpu().numpy()
        return pd.DataFrame(A, index=self.concept_names, columns=self.concept_names)

    def learned_edges(self) -> list[tuple[str, str]]:
        """The edges whose weight exceeds ``threshold`` in absolute value (with a given
        ``graph``, interventions use all of its edges, whatever their weight)."""
        A = self.adjacency_.to_numpy()
        names = self.concept_names
        return [
            (names[j], names[i])
            for j in range(len(names))
            for i in range(len(names))
            if abs(float(A[j, i])) > self.threshold
        ]

    def concepts(self, images: np.ndarray) -> pd.DataFrame:
        """The posterior means of the concepts, in the labels' units."""
        z = self._encode(images)
        return pd.DataFrame(z * self.u_scale_ + self.u_mean_, columns=self.concept_names)

    def intervene(self, images: np.ndarray, do: dict[str, Any]) -> np.ndarray:
        """Counterfactual images: each image's concepts abducted, the ``do`` concepts set (in the
        labels' units), their descendants in the learned graph recomputed by the mask layer with
        their own residuals, then decoded."""
        unknown = [k for k in do if k not in self.concept_names]
        if unknown:
            raise DataError(f"unknown concept(s) {unknown}; the concepts are {self.concept_names}")
        z = torch.as_tensor(self._encode(images), dtype=torch.float32)
        net = self.net_
        with torch.no_grad():
            # a given graph is the DAG; a learned one is A's edges above the threshold
            kept = net.parents(self.threshold, self.graph is not None)
            residual = z - net.mechanisms(z, kept)
            new = z.clone()
            set_ = [self.concept_names.index(k) for k in do]
            for k, value in do.items():
                j = self.concept_names.index(k)
                v = np.broadcast_to(np.asarray(value, dtype=float), (len(z),))
                new[:, j] = torch.as_tensor((v - self.u_mean_[j]) / self.u_scale_[j])
            for i in self._order(kept):
                if i not in set_ and bool((kept[:, i] != 0).any()):
                    new[:, i] = net.mechanisms(new, kept)[:, i] + residual[:, i]
            return np.asarray(net.decode(new).cpu().numpy(), dtype=np.float64)

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """Decode each image's abducted concepts."""
        z = torch.as_tensor(self._encode(images), dtype=torch.float32)
        with torch.no_grad():
            return np.asarray(self.net_.decode(z).cpu().numpy(), dtype=np.float64)

    # -- helpers
    def _encode(self, images: np.ndarray) -> np.ndarray:
        self._check_fitted()
        x = torch.as_tensor(check_images(images), dtype=torch.float32)
        net = self.net_
        n = len(self.concept_names)
        with torch.no_grad():
            mean = net.to_eps(net.encoder(x))[:, :n]
            C = torch.linalg.inv(torch.eye(n) - net.adjacency().T)
            return np.asarray((mean @ C.T).cpu().numpy(), dtype=np.float64)

    @staticmethod
    def _order(A: Tensor) -> list[int]:
        """A topological order of the graph ``A != 0`` (parents first)."""
        n = A.shape[0]
        remaining, order = set(range(n)), list[int]()
        while remaining:
            ready = [i for i in remaining if not any(A[j, i] != 0 for j in remaining if j != i)]
            if not ready:  # a cycle left in the thresholded graph: keep the index order
                return order + sorted(remaining)
            order += sorted(ready)
            remaining -= set(ready)
        return order

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError("this CausalVAE is not fitted yet; call fit first")
