"""The ledger: every balance of every account, the only place value is held.

Three assets are kept in integer base units (see :mod:`gramabm.units`): USD in micro-dollars,
tokens and gold in milligrams. Each account has a *balance* and, inside it, a *reserved* part
(value promised to resting orders or pending operations); the *available* part is the
difference. Value enters only through :meth:`Ledger.genesis` (initial endowments) and
:meth:`Ledger.mint_tokens`, and leaves only through :meth:`Ledger.burn_tokens`; everything else
moves it between accounts, so :meth:`Ledger.check` can verify conservation exactly.

Balances live in growable numpy ``int64`` arrays, one per asset, so a vectorised population can
read its slice at once (``ledger.balances(Asset.USD)[ids]``). The scalar methods sit on the hot
path of the market (tens of thousands of calls per model step), so they do plain Python-int
arithmetic on array items (read through memoryviews on the arrays, written by assignment, which
also raises ``OverflowError`` rather than wrapping) and check only what safety needs: account
range, non-negative integer amounts and sufficient funds. A failed call changes nothing.
"""

from __future__ import annotations

from enum import IntEnum
from operator import index

import numpy as np

from gramabm.errors import ConfigError, MarketError


class Asset(IntEnum):
    """Assets the ledger holds; the value indexes the balance arrays."""

    USD = 0
    TOKEN = 1
    GOLD = 2


type AssetIndex = Asset | int
"""An :class:`Asset` or its int value; the venue's hot path passes plain ints."""

_N_ASSETS = len(Asset)
_USD = int(Asset.USD)
_TOKEN = int(Asset.TOKEN)


class InsufficientBalanceError(MarketError, ValueError):
    """An account lacks the amount an operation needs.

    Args:
        account: Account id.
        name: Account name.
        asset: Asset concerned.
        needed: Amount the operation needs, in base units.
        have: Amount the account has in the relevant part (see ``part``), in base units.
        part: Which part of the balance was short: ``"available"``, ``"reserved"`` or
            ``"balance"``.
    """

    def __init__(
        self, account: int, name: str, asset: Asset, needed: int, have: int, part: str
    ) -> None:
        self.account = account
        self.name = name
        self.asset = asset
        self.needed = needed
        self.have = have
        self.part = part
        super().__init__(
            f"account {account} ({name!r}) needs {needed} {asset.name} base units {part}, "
            f"has {have}"
        )


class InvariantError(MarketError, AssertionError):
    """A ledger invariant (conservation, non-negativity, reservation bounds) does not hold."""


class Ledger:
    """Balances and reservations of all accounts in all assets.

    Args:
        capacity: Initial number of account slots; the arrays double when full.

    Raises:
        ConfigError: If ``capacity`` is not positive.
    """

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 1:
            raise ConfigError(f"ledger capacity must be positive, got {capacity}")
        self._cap = int(capacity)
        self._n = 0
        self._bal = [np.zeros(self._cap, dtype=np.int64) for _ in range(_N_ASSETS)]
        self._res = [np.zeros(self._cap, dtype=np.int64) for _ in range(_N_ASSETS)]
        self._bal_at: list[memoryview] = []
        self._res_at: list[memoryview] = []
        # Read-only views of the opened accounts' part, made once per array and size: a view
        # with its write flag cleared costs microseconds, and populations read them every step.
        self._bal_views: list[np.ndarray | None] = []
        self._res_views: list[np.ndarray | None] = []
        self._share_items()
        self._names: list[str] = []
        self._genesis = [0] * _N_ASSETS
        self._minted = 0
        self._burned = 0

    # ----------------------------------------------------------------------------- accounts

    def _share_items(self) -> None:
        """Memoryviews on the arrays, for the scalar reads of the hot paths.

        Indexing a memoryview gives the same Python int as ``ndarray.item`` in about a third of
        the time. Writes stay numpy assignments, which raise ``OverflowError`` beyond int64.
        """
        self._bal_at = [memoryview(a) for a in self._bal]
        self._res_at = [memoryview(a) for a in self._res]
        self._drop_views()

    def _drop_views(self) -> None:
        """Forget the read-only views (the arrays or the number of accounts changed)."""
        self._bal_views = [None] * _N_ASSETS
        self._res_views = [None] * _N_ASSETS

    def __getstate__(self) -> dict[str, object]:
        """The state to copy or pickle: all but the views, which are made anew on load."""
        state = self.__dict__.copy()
        for views in ("_bal_at", "_res_at", "_bal_views", "_res_views"):
            del state[views]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._share_items()

    def _grow(self, need: int) -> None:
        """Reallocate the arrays so that ``need`` accounts fit (earlier views go stale)."""
        cap = self._cap
        while cap < need:  # pragma: no mutate
            cap *= 2
        if cap == self._cap:
            return
        n = self._n
        for arrays in (self._bal, self._res):
            for a, old in enumerate(arrays):
                new = np.zeros(cap, dtype=np.int64)
                new[:n] = old[:n]
                arrays[a] = new
        self._cap = cap
        self._share_items()

    def open_account(self, name: str) -> int:
        """Open one account with zero balances.

        Args:
            name: Human-readable name, used in error messages.

        Returns:
            The new account id.
        """
        acct = self._n
        self._grow(acct + 1)
        self._names.append(name)
        self._n = acct + 1
        self._drop_views()
        return acct

    def open_accounts(self, n: int, prefix: str) -> np.ndarray:
        """Open ``n`` consecutive accounts (a population), named ``f"{prefix}{i}"``.

        Args:
            n: Number of accounts (>= 0).
            prefix: Name prefix; ``i`` counts from 0 within this call.

        Returns:
            The ids, an int64 array of consecutive integers.

        Raises:
            ConfigError: If ``n`` is negative.
        """
        if n < 0:
            raise ConfigError(f"cannot open a negative number of accounts ({n})")
        first = self._n
        self._grow(first + n)
        self._names.extend(f"{prefix}{i}" for i in range(n))
        self._n = first + n
        self._drop_views()
        return np.arange(first, first + n, dtype=np.int64)  # pragma: no mutate

    @property
    def n_accounts(self) -> int:
        """Number of accounts opened."""
        return self._n

    def name(self, account: int) -> str:
        """Name of an account.

        Raises:
            MarketError: If the account does not exist.
        """
        if not 0 <= account < self._n:
            raise self._no_account(account)
        return self._names[account]

    def _no_account(self, account: int) -> MarketError:
        return MarketError(f"no account {account} (ledger has {self._n} accounts)")

    def _short(
        self, account: int, asset: int, needed: int, have: int, part: str
    ) -> InsufficientBalanceError:
        return InsufficientBalanceError(
            int(account), self._names[account], Asset(asset), int(needed), int(have), part
        )

    # ----------------------------------------------------------------------------- creation

    def genesis(self, account: int, asset: Asset, amount: int) -> None:
        """Endow an account at the start: the only way USD and gold enter the ledger.

        A token endowment counts as minted (so ``supply`` includes it and token conservation
        holds); use it for the initial float held by agents.

        Args:
            account: Account id.
            asset: Asset endowed.
            amount: Base units (>= 0).

        Raises:
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        asset = Asset(asset)
        if not 0 <= account < self._n:
            raise self._no_account(account)
        if amount < 0:
            raise MarketError(f"genesis amount must be >= 0, got {amount}")
        bal = self._bal[asset]
        bal[account] = bal.item(account) + amount
        self._genesis[asset] += amount
        if asset == _TOKEN:
            self._minted += amount

    def genesis_many(self, accounts: np.ndarray, asset: Asset, amounts: np.ndarray | int) -> None:
        """Vectorised :meth:`genesis` for a population.

        Args:
            accounts: Account ids (repeats add up).
            asset: Asset endowed.
            amounts: Base units per account (>= 0), or one amount for all.

        Raises:
            MarketError: For unknown accounts, negative or non-integer amounts.
        """
        asset = Asset(asset)
        ids = np.asarray(accounts)
        amt = np.broadcast_to(np.asarray(amounts), ids.shape)
        if ids.size == 0:
            return
        if not (np.issubdtype(ids.dtype, np.integer) and np.issubdtype(amt.dtype, np.integer)):
            raise MarketError("genesis_many needs integer account ids and amounts")
        if ids.min() < 0 or ids.max() >= self._n:
            raise MarketError(f"genesis_many: account ids must be in [0, {self._n})")
        if amt.min() < 0:
            raise MarketError("genesis_many: amounts must be >= 0")
        total = int(amt.sum(dtype=np.int64))  # pragma: no mutate
        np.add.at(self._bal[asset], ids, amt.astype(np.int64))
        self._genesis[asset] += total
        if asset == _TOKEN:
            self._minted += total

    def mint_tokens(self, account: int, amount: int) -> None:
        """Create tokens in an account (the primary market's mint).

        Raises:
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        if not 0 <= account < self._n:
            raise self._no_account(account)
        if amount < 0:
            raise MarketError(f"mint amount must be >= 0, got {amount}")
        bal = self._bal[_TOKEN]
        bal[account] = bal.item(account) + amount
        self._minted += amount

    def burn_tokens(self, account: int, amount: int, *, from_reserved: bool = False) -> None:
        """Destroy tokens held by an account (the primary market's redemption).

        Args:
            account: Account id.
            amount: Milligrams of tokens (>= 0).
            from_reserved: Take them from the reserved part (tokens set aside earlier, e.g.
                queued for redemption) instead of the available part.

        Raises:
            InsufficientBalanceError: If the part drawn on holds less than ``amount``.
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        if not 0 <= account < self._n:
            raise self._no_account(account)
        if amount < 0:
            raise MarketError(f"burn amount must be >= 0, got {amount}")
        bal = self._bal[_TOKEN]
        res = self._res[_TOKEN]
        b = bal.item(account)
        r = res.item(account)
        if from_reserved:
            if r < amount:
                raise self._short(account, _TOKEN, amount, r, "reserved")
            res[account] = r - amount
        elif b - r < amount:
            raise self._short(account, _TOKEN, amount, b - r, "available")
        bal[account] = b - amount
        self._burned += amount

    @property
    def minted(self) -> int:
        """Tokens created so far (mints plus token endowments), milligrams."""
        return self._minted

    @property
    def burned(self) -> int:
        """Tokens destroyed so far, milligrams."""
        return self._burned

    @property
    def supply(self) -> int:
        """Tokens outstanding: ``minted - burned``, milligrams."""
        return self._minted - self._burned

    def genesis_total(self, asset: Asset) -> int:
        """Total endowed in ``asset`` by :meth:`genesis` (the conserved amount for USD and gold)."""
        return self._genesis[asset]

    # ----------------------------------------------------------------------------- reads

    def balance(self, account: int, asset: AssetIndex) -> int:
        """Whole balance (available plus reserved) in base units."""
        if not 0 <= account < self._n:
            raise self._no_account(account)
        return self._bal_at[asset][account]

    def reserved(self, account: int, asset: AssetIndex) -> int:
        """Reserved part of the balance in base units."""
        if not 0 <= account < self._n:
            raise self._no_account(account)
        return self._res_at[asset][account]

    def available(self, account: int, asset: AssetIndex) -> int:
        """Available part of the balance (balance minus reserved) in base units."""
        if not 0 <= account < self._n:
            raise self._no_account(account)
        return self._bal_at[asset][account] - self._res_at[asset][account]

    def balances(self, asset: AssetIndex) -> np.ndarray:
        """Read-only view of all accounts' balances of ``asset`` (int64, length ``n_accounts``).

        The view shares memory with the ledger, so it follows later changes, until an account
        opening grows the arrays; take a fresh view after opening accounts.
        """
        view = self._bal_views[asset]
        if view is None:
            view = self._bal_views[asset] = self._read_only(self._bal[asset])
        return view

    def reserved_array(self, asset: AssetIndex) -> np.ndarray:
        """Read-only view of all accounts' reserved amounts of ``asset`` (see :meth:`balances`)."""
        view = self._res_views[asset]
        if view is None:
            view = self._res_views[asset] = self._read_only(self._res[asset])
        return view

    def _read_only(self, array: np.ndarray) -> np.ndarray:
        """The opened accounts' part of ``array``, as a view that refuses writes."""
        view = array[: self._n]
        view.flags.writeable = False  # pragma: no mutate
        return view

    def available_array(self, asset: AssetIndex) -> np.ndarray:
        """All accounts' available amounts of ``asset`` (a new int64 array)."""
        n = self._n
        return self._bal[asset][:n] - self._res[asset][:n]

    # ----------------------------------------------------------------------------- moves

    def transfer(self, src: int, dst: int, asset: AssetIndex, amount: int) -> None:
        """Move ``amount`` from ``src``'s available part to ``dst``.

        Raises:
            InsufficientBalanceError: If ``src`` has less than ``amount`` available.
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        n = self._n
        if not 0 <= src < n:
            raise self._no_account(src)
        if not 0 <= dst < n:
            raise self._no_account(dst)
        if amount < 0:
            raise MarketError(f"transfer amount must be >= 0, got {amount}")
        bal = self._bal[asset]
        at = self._bal_at[asset]
        b = at[src]
        have = b - self._res_at[asset][src]
        if have < amount:
            raise self._short(src, asset, amount, have, "available")
        bal[src] = b - amount
        bal[dst] = at[dst] + amount

    def reserve(self, account: int, asset: AssetIndex, amount: int) -> None:
        """Set aside ``amount`` of an account's available balance.

        Raises:
            InsufficientBalanceError: If less than ``amount`` is available.
            MarketError: For an unknown account or a negative amount.
        """
        if not self.try_reserve(account, asset, amount):
            have = self._bal_at[asset][account] - self._res_at[asset][account]
            raise self._short(account, asset, amount, have, "available")

    def try_reserve(self, account: int, asset: AssetIndex, amount: int) -> bool:
        """Like :meth:`reserve` but return False, changing nothing, if funds are short.

        Raises:
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        if not 0 <= account < self._n:
            raise self._no_account(account)
        if amount < 0:
            raise MarketError(f"reserve amount must be >= 0, got {amount}")
        r = self._res_at[asset][account]
        if self._bal_at[asset][account] - r < amount:
            return False
        self._res[asset][account] = r + amount
        return True

    def release(self, account: int, asset: AssetIndex, amount: int) -> None:
        """Return ``amount`` of the reserved part to the available part.

        Raises:
            InsufficientBalanceError: If less than ``amount`` is reserved.
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        if not 0 <= account < self._n:
            raise self._no_account(account)
        if amount < 0:
            raise MarketError(f"release amount must be >= 0, got {amount}")
        r = self._res_at[asset][account]
        if r < amount:
            raise self._short(account, asset, amount, r, "reserved")
        self._res[asset][account] = r - amount

    def transfer_reserved(self, src: int, dst: int, asset: AssetIndex, amount: int) -> None:
        """Move ``amount`` out of ``src``'s reserved part into ``dst``'s available part.

        Raises:
            InsufficientBalanceError: If ``src`` has less than ``amount`` reserved.
            MarketError: For an unknown account or a negative amount.
        """
        amount = index(amount)
        n = self._n
        if not 0 <= src < n:
            raise self._no_account(src)
        if not 0 <= dst < n:
            raise self._no_account(dst)
        if amount < 0:
            raise MarketError(f"transfer amount must be >= 0, got {amount}")
        r = self._res_at[asset][src]
        if r < amount:
            raise self._short(src, asset, amount, r, "reserved")
        bal = self._bal[asset]
        at = self._bal_at[asset]
        self._res[asset][src] = r - amount
        bal[src] = at[src] - amount
        bal[dst] = at[dst] + amount

    def settle_trade(
        self,
        buyer: int,
        seller: int,
        qty: int,
        cash: int,
        buyer_fee: int,
        seller_fee: int,
        fee_account: int,
        taker: int = 0,
    ) -> None:
        """Settle one fill atomically from both sides' reservations, or the taker's available part.

        The buyer pays ``cash + buyer_fee`` USD, the seller ``qty`` tokens, each from its
        reservation, except the ``taker``'s, which pays from its available part: an aggressor
        whose order never rested need reserve nothing, since nothing else moves its balances
        while its order matches. The seller receives ``cash - seller_fee`` (available) and the
        buyer ``qty`` tokens (available); the fee account receives both fees. Either everything
        moves or, if a part is short, nothing does. ``taker`` is 1 (BUY) if the buyer pays from
        its available USD, -1 (SELL) if the seller pays from its available tokens, 0 if both pay
        from their reservations. Callers (the venue) pass validated non-negative ints with
        ``seller_fee <= cash``.

        Raises:
            InsufficientBalanceError: If the buyer's USD or the seller's tokens fall short.
        """
        pay = cash + buyer_fee
        usd_at = self._bal_at[_USD]
        tok_at = self._bal_at[_TOKEN]
        ru = self._res_at[_USD][buyer]
        rt = self._res_at[_TOKEN][seller]
        if taker == 1:
            if usd_at[buyer] - ru < pay:
                raise self._short(buyer, _USD, pay, usd_at[buyer] - ru, "available")
        elif ru < pay:
            raise self._short(buyer, _USD, pay, ru, "reserved")
        if taker == -1:
            if tok_at[seller] - rt < qty:
                raise self._short(seller, _TOKEN, qty, tok_at[seller] - rt, "available")
        elif rt < qty:
            raise self._short(seller, _TOKEN, qty, rt, "reserved")
        usd = self._bal[_USD]
        tok = self._bal[_TOKEN]
        # Each update re-reads its item, so buyer, seller and fee account may coincide.
        if taker != 1:
            self._res[_USD][buyer] = ru - pay
        usd[buyer] = usd_at[buyer] - pay
        usd[seller] = usd_at[seller] + cash - seller_fee
        usd[fee_account] = usd_at[fee_account] + buyer_fee + seller_fee
        if taker != -1:
            self._res[_TOKEN][seller] = rt - qty
        tok[seller] = tok_at[seller] - qty
        tok[buyer] = tok_at[buyer] + qty

    # ----------------------------------------------------------------------------- invariants

    def check(self) -> None:
        """Verify every invariant of the ledger.

        Raises:
            InvariantError: Listing each violation: a negative balance or reservation, a
                reservation above its balance, USD or gold totals that differ from their
                endowments, or a token total that differs from ``minted - burned``.
        """
        n = self._n  # pragma: no mutate
        problems = []
        for asset in Asset:
            bal = self._bal[asset][:n]
            res = self._res[asset][:n]
            for label, bad in (
                ("negative balance", bal < 0),
                ("negative reservation", res < 0),
                ("reservation above balance", res > bal),
            ):
                ids = np.flatnonzero(bad)
                if ids.size:
                    shown = ", ".join(  # pragma: no mutate
                        f"{i} ({self._names[i]!r}: balance {bal[i]}, reserved {res[i]})"
                        for i in ids[:5].tolist()  # pragma: no mutate
                    )
                    problems.append(f"{asset.name} {label} in {ids.size} account(s): {shown}")
            total = int(bal.sum(dtype=np.int64))
            expected = self.supply if asset == _TOKEN else self._genesis[asset]
            what = "minted - burned" if asset == _TOKEN else "genesis"
            if total != expected:
                problems.append(f"{asset.name} total {total} != {what} {expected}")
        if problems:
            message = "ledger invariants violated: " + "; ".join(problems)  # pragma: no mutate
            raise InvariantError(message)
