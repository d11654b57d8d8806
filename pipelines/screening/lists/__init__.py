"""Reading and writing the lists screening works from: watchlists (CSV and Avro) and the
travellers screened against them."""
