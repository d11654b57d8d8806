"""Reading and writing the lists screening works from: watchlists (CSV and Avro) with the
travellers screened against them, and the cleared and trusted traveller lists."""
