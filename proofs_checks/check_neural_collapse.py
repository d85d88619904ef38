"""Symbolic checks of the neural-collapse geometry (sympy, general C)."""

import sympy as sp

from analysis.neural_collapse import proofs


def test_centred_orthogonal_frame_is_simplex_etf_for_symbolic_C():
    residuals = proofs.centred_frame_residuals()
    assert all(sp.simplify(r) == 0 for r in residuals.values()), residuals


def test_wrong_centring_is_caught():
    residuals = proofs.centred_frame_residuals(1 / (sp.Symbol("C") + 1))
    assert any(sp.simplify(r) != 0 for r in residuals.values())
    assert proofs.residual_magnitude(residuals) > 1e-3
