-- Status page subscribers are looked up by their token (the confirmation and
-- unsubscription links), and unconfirmed ones pruned by their creation time.
CREATE INDEX status_subscribers_token ON status_subscribers (token);
