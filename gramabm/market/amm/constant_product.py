"""A constant-product pool with a fee (Uniswap v2), in integer base units.

The pool holds reserves ``x`` of token0 and ``y`` of token1 in its own ledger account. A swap of
``a`` in pays ``floor(a * g * y_out / (x_in + a * g))`` out, ``g = 1 - fee`` (fee in pips,
millionths: 3,000 = 0.30%), the whitepaper's formula in exact integers; the fee stays in the
reserves, so it accrues to the liquidity providers and ``x * y`` never decreases on a swap. An
exact-output swap charges ``floor(x_in * out / ((y_out - out) * g)) + 1`` in, as v2 does, so the
pool never loses by rounding. Liquidity shares are minted ``sqrt(a0 * a1)`` for the first deposit
(less 1,000 locked for good, which keeps a share from ever being worth a dust amount's rounding)
and ``min(a0 * T / x, a1 * T / y)`` after; a withdrawal of ``s`` shares pays ``floor(s * x / T)``
and ``floor(s * y / T)``. Every rounding favours the pool.
"""

from __future__ import annotations

from math import isqrt
from operator import index

import numpy as np

from gramabm.errors import ConfigError
from gramabm.market.chain import (
    AmmError,
    Chain,
    SwapResult,
    Token,
    gas_need,
    positive,
    require_funds,
)

PIPS: int = 1_000_000
"""Fee denominator: fees are integer millionths of the input (pips)."""

MINIMUM_LIQUIDITY: int = 1_000
"""Shares locked for good by the first deposit."""


def amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_pips: int) -> int:
    """Output of an exact-input swap: ``floor(a*g*y / (x + a*g))`` with ``g = 1 - fee``."""
    a = amount_in * (PIPS - fee_pips)
    return a * reserve_out // (reserve_in * PIPS + a)


def amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_pips: int) -> int:
    """Input an exact-output swap charges: ``floor(x*out / ((y - out)*g)) + 1``."""
    return reserve_in * amount_out * PIPS // ((reserve_out - amount_out) * (PIPS - fee_pips)) + 1


class ConstantProductPool:
    """A two-token constant-product pool; liquidity providers earn the swap fee.

    Args:
        token0: First token (prices are token1 per token0).
        token1: Second token.
        account: The pool's own account (its address), open in both tokens' ledgers.
        fee_pips: Swap fee in millionths of the input (3,000 = 0.30%, v2's fee).
        chain: Where gas is paid; ``None`` charges no gas.

    Raises:
        ConfigError: If the fee is outside [0, 1,000,000) or the two tokens are one.
    """

    def __init__(
        self,
        token0: Token,
        token1: Token,
        account: int,
        *,
        fee_pips: int = 3_000,
        chain: Chain | None = None,
    ) -> None:
        if not 0 <= index(fee_pips) < PIPS:
            raise ConfigError(f"fee_pips must be in [0, {PIPS}), got {fee_pips}")
        if token0.ledger is token1.ledger and int(token0.asset) == int(token1.asset):
            raise ConfigError(f"a pool needs two different tokens, got {token0.symbol} twice")
        self.tokens = (token0, token1)
        self.account = account
        self.fee_pips = int(fee_pips)
        self.chain = chain
        self.reserves = [0, 0]
        self.total_shares = 0
        self.shares: dict[int, int] = {}
        self.fees_earned = [0, 0]  # fee part of every swap's input, per token, for reports

    # ------------------------------------------------------------------------------ reads

    def price(self) -> float:
        """Mid price: whole token1 per whole token0 (NaN while empty)."""
        x, y = self.reserves
        if not x:
            return float("nan")
        t0, t1 = self.tokens
        return (y / t1.unit) / (x / t0.unit)

    def _sides(self, zero_for_one: bool) -> tuple[int, int, int, int]:
        i, o = (0, 1) if zero_for_one else (1, 0)
        return i, o, self.reserves[i], self.reserves[o]

    def quote_exact_in(self, zero_for_one: bool, amount: int) -> int:
        """Output a swap of ``amount`` in would pay now (0 if the pool is empty).

        Args:
            zero_for_one: Pay token0 and receive token1 (else the reverse).
            amount: Base units of the input token (> 0).
        """
        amount = positive("amount in", amount)
        _, _, r_in, r_out = self._sides(zero_for_one)
        if not r_in:
            return 0
        return amount_out(amount, r_in, r_out, self.fee_pips)

    def quote_exact_out(self, zero_for_one: bool, amount: int) -> int:
        """Input a swap paying exactly ``amount`` out would charge now.

        Raises:
            AmmError: If the pool holds no more than ``amount`` of the output token.
        """
        amount = positive("amount out", amount)
        _, _, r_in, r_out = self._sides(zero_for_one)
        if amount >= r_out:
            raise AmmError(f"pool holds {r_out} of the output token, cannot pay {amount}")
        return amount_in(amount, r_in, r_out, self.fee_pips)

    # ------------------------------------------------------------------------------ swaps

    def _settle(self, account: int, zero_for_one: bool, a_in: int, a_out: int) -> SwapResult:
        i, o, r_in, r_out = self._sides(zero_for_one)
        needs, gas = gas_need(self.chain, "v2_swap")
        t_in, t_out = self.tokens[i], self.tokens[o]
        require_funds(account, [(t_in, a_in), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        t_in.transfer(account, self.account, a_in)
        t_out.transfer(self.account, account, a_out)
        self.reserves[i] = r_in + a_in
        self.reserves[o] = r_out - a_out
        fee = a_in * self.fee_pips // PIPS
        self.fees_earned[i] += fee
        return SwapResult(a_in, a_out, fee, gas)

    def swap_exact_in(
        self, account: int, zero_for_one: bool, amount: int, min_out: int = 0
    ) -> SwapResult:
        """Pay ``amount`` of the input token, receive what the curve gives.

        Args:
            account: The trader (pays the input and the gas, receives the output).
            zero_for_one: Pay token0 for token1 (else token1 for token0).
            amount: Base units in (> 0).
            min_out: Refuse the swap if it would pay less (slippage limit).

        Raises:
            AmmError: If the output would be 0 or below ``min_out``.
            InsufficientBalanceError: If the trader cannot pay the input and the gas.
        """
        out = self.quote_exact_in(zero_for_one, amount)
        if out <= 0 or out < min_out:
            raise AmmError(f"swap of {amount} in pays {out} out (minimum {max(min_out, 1)})")
        return self._settle(account, zero_for_one, amount, out)

    def swap_exact_out(
        self, account: int, zero_for_one: bool, amount: int, max_in: int | None = None
    ) -> SwapResult:
        """Receive exactly ``amount`` of the output token, pay what the curve asks.

        Raises:
            AmmError: If the pool cannot pay ``amount`` or the input would exceed ``max_in``.
            InsufficientBalanceError: If the trader cannot pay the input and the gas.
        """
        a_in = self.quote_exact_out(zero_for_one, amount)
        if max_in is not None and a_in > max_in:
            raise AmmError(f"paying {amount} out needs {a_in} in, above the limit {max_in}")
        return self._settle(account, zero_for_one, a_in, amount)

    def swap_batch(
        self, accounts: np.ndarray, zero_for_one: np.ndarray, amounts: np.ndarray
    ) -> np.ndarray:
        """Exact-input swaps of a population, one after another in the given order.

        The same result as calling :meth:`swap_exact_in` for each row, except that a row the
        trader cannot pay for (or that would pay nothing) is skipped and gets 0 instead of
        raising. The loop keeps everything in locals; the ledger moves are the same calls.

        Args:
            accounts: Traders, int array.
            zero_for_one: Direction per row, bool array.
            amounts: Base units in per row (> 0), int array.

        Returns:
            Base units paid out per row (int64; 0 where skipped).

        Raises:
            AmmError: If an amount is not positive or the columns differ in length.
        """
        accounts = np.asarray(accounts, dtype=np.int64)
        directions = np.asarray(zero_for_one, dtype=bool)
        amounts = np.asarray(amounts, dtype=np.int64)
        if not accounts.shape == directions.shape == amounts.shape:
            raise AmmError("swap_batch needs columns of one length")
        if amounts.size and amounts.min() <= 0:
            raise AmmError("swap_batch amounts must be > 0")
        out = np.zeros(amounts.size, dtype=np.int64)
        chain = self.chain
        gas = chain.gas_cost("v2_swap") if chain is not None else 0
        usd = chain.usd if chain is not None else None
        t0, t1 = self.tokens
        # Whether gas comes out of the input token's balance, indexed by ``not zero_for_one``.
        same_gas = [
            usd is not None and usd.ledger is t.ledger and int(usd.asset) == int(t.asset)
            for t in (t0, t1)
        ]
        g = PIPS - self.fee_pips
        fee_pips = self.fee_pips
        pool = self.account
        x, y = self.reserves
        fees = self.fees_earned
        res = out.tolist()
        for k, (acct, d, a) in enumerate(
            zip(accounts.tolist(), directions.tolist(), amounts.tolist(), strict=True)
        ):
            t_in, t_out = (t0, t1) if d else (t1, t0)
            r_in, r_out = (x, y) if d else (y, x)
            if not r_in:
                continue
            ag = a * g
            o = ag * r_out // (r_in * PIPS + ag)
            if o <= 0:
                continue
            if usd is not None:
                if same_gas[not d]:
                    if t_in.available(acct) < a + gas:
                        continue
                elif t_in.available(acct) < a or usd.available(acct) < gas:
                    continue
                chain.charge(acct, gas)  # type: ignore[union-attr]
            elif t_in.available(acct) < a:
                continue
            t_in.transfer(acct, pool, a)
            t_out.transfer(pool, acct, o)
            if d:
                x, y = x + a, y - o
                fees[0] += a * fee_pips // PIPS
            else:
                x, y = x - o, y + a
                fees[1] += a * fee_pips // PIPS
            res[k] = o
        self.reserves = [x, y]
        return np.asarray(res, dtype=np.int64)

    # -------------------------------------------------------------------------- liquidity

    def add_liquidity(self, account: int, amount0: int, amount1: int) -> tuple[int, int, int]:
        """Deposit up to ``amount0`` and ``amount1`` at the pool's ratio, receive shares.

        The first deposit sets the price and takes both amounts; later ones take the largest
        pair at the current ratio that fits inside both (as v2's router does).

        Returns:
            ``(used0, used1, shares)``.

        Raises:
            AmmError: If an amount is not positive or the deposit would mint no shares.
            InsufficientBalanceError: If the provider cannot pay the amounts and the gas.
        """
        amount0 = positive("amount0", amount0)
        amount1 = positive("amount1", amount1)
        x, y = self.reserves
        total = self.total_shares
        if total == 0:
            used0, used1 = amount0, amount1
            shares = isqrt(used0 * used1) - MINIMUM_LIQUIDITY
        else:
            opt1 = amount0 * y // x
            if opt1 <= amount1:
                used0, used1 = amount0, opt1
            else:
                used0, used1 = amount1 * x // y, amount1
            shares = min(used0 * total // x, used1 * total // y)
        if shares <= 0:
            raise AmmError(f"deposit of {amount0} and {amount1} would mint no shares")
        needs, gas = gas_need(self.chain, "v2_add_liquidity")
        t0, t1 = self.tokens
        require_funds(account, [(t0, used0), (t1, used1), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        t0.transfer(account, self.account, used0)
        t1.transfer(account, self.account, used1)
        self.reserves = [x + used0, y + used1]
        self.total_shares = total + shares + (MINIMUM_LIQUIDITY if total == 0 else 0)
        self.shares[account] = self.shares.get(account, 0) + shares
        return used0, used1, shares

    def remove_liquidity(self, account: int, shares: int) -> tuple[int, int]:
        """Burn ``shares`` of ``account``, receive its part of both reserves (rounded down).

        Returns:
            ``(amount0, amount1)`` paid out.

        Raises:
            AmmError: If ``shares`` is not positive or more than the account holds.
            InsufficientBalanceError: If the provider cannot pay the gas.
        """
        shares = positive("shares", shares)
        held = self.shares.get(account, 0)
        if shares > held:
            raise AmmError(f"account {account} holds {held} shares, cannot burn {shares}")
        x, y = self.reserves
        total = self.total_shares
        a0, a1 = shares * x // total, shares * y // total
        needs, gas = gas_need(self.chain, "v2_remove_liquidity")
        require_funds(account, needs)
        if self.chain is not None:
            self.chain.charge(account, gas)
        t0, t1 = self.tokens
        t0.transfer(self.account, account, a0)
        t1.transfer(self.account, account, a1)
        self.reserves = [x - a0, y - a1]
        self.total_shares = total - shares
        if held == shares:
            del self.shares[account]
        else:
            self.shares[account] = held - shares
        return a0, a1

    # ------------------------------------------------------------------------- invariants

    def check(self) -> None:
        """Verify the pool's books: reserves are what its account holds; shares add up.

        Raises:
            AmmError: Naming what does not hold.
        """
        for token, r in zip(self.tokens, self.reserves, strict=True):
            if token.balance(self.account) != r:
                raise AmmError(
                    f"pool holds {token.balance(self.account)} {token.symbol}, reserve says {r}"
                )
        locked = MINIMUM_LIQUIDITY if self.total_shares else 0
        if sum(self.shares.values()) + locked != self.total_shares:
            raise AmmError("liquidity shares do not add up to the total")
