"""Implicit regularisation of gradient descent: t-algebra, tubal / matrix sensing, max-margin bias."""

from analysis.implicit_reg.talgebra import (
    block_circulant,
    t_identity,
    t_product,
    t_product_block_circulant,
    t_svd,
    t_transpose,
    tubal_principal_angle,
    tubal_rank,
    tubal_singular_values,
)

__all__ = [
    "block_circulant",
    "t_identity",
    "t_product",
    "t_product_block_circulant",
    "t_svd",
    "t_transpose",
    "tubal_principal_angle",
    "tubal_rank",
    "tubal_singular_values",
]
