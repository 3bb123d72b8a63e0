"""Token markets without Mesa: order book, ledger, venue, primary market, custodians, oracle."""
