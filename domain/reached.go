package domain

// Reached reports whether a household's attributed net sales in a period
// (its shares of sales less its shares of refunds) reached it: a household
// whose sales were all refunded, or that had none, was not reached, however
// many ledger entries name it. Every "households reached" figure counts by
// this rule, so a village's, an enterprise's and the district's agree.
func Reached(net Fen) bool { return net > 0 }

// CountReached counts the households, by id, whose net sales reached them.
func CountReached(nets map[string]Fen) int64 {
	var n int64
	for _, net := range nets {
		if Reached(net) {
			n++
		}
	}
	return n
}
