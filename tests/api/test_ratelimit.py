"""Token buckets and the quota they report (api/ratelimit.py)."""

from api.ratelimit import RateLimiter


def test_rate_limiter_bursts_then_refills():
    now = [0.0]
    rl = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [rl.check("k") for _ in range(3)] == [0, 0, 0]
    assert rl.check("k") == 1  # empty: half a second to the next token, rounded up
    assert rl.check("other") == 0  # buckets are per key
    now[0] += 0.5
    assert rl.check("k") == 0 and rl.check("k") == 1
    now[0] += 10
    assert [rl.check("k") for _ in range(4)] == [0, 0, 0, 1]  # never more than the burst


def test_the_quota_counts_down_and_says_when_the_bucket_is_full_again():
    now = [0.0]
    rl = RateLimiter(rate=2, burst=4, clock=lambda: now[0])
    quotas = [rl.take("k") for _ in range(5)]
    assert [(q.limit, q.remaining, q.reset, q.retry_after) for q in quotas] == [
        (4, 3, 1, 0), (4, 2, 1, 0), (4, 1, 2, 0), (4, 0, 2, 0), (4, 0, 2, 1)]
    assert dict(quotas[-1].headers())[b"retry-after"] == b"1"


def test_rate_limit_off():
    rl = RateLimiter(rate=0, burst=0)
    assert all(rl.check("k") == 0 for _ in range(1000)) and rl.take("k") is None


def test_each_kind_of_caller_has_its_own_budget_and_sees_it(make_server):
    """Through the real server: an account's keys share a bucket, the admin key has its own
    (an account named "admin" is not the admin), callers without a valid key are limited per
    client address; every answer says how much is left."""
    import httpx

    from api.app import Settings

    with make_server(Settings(admin_key="test-admin-key", cycle_seconds=0, rate=0.2, burst=3)) as s:
        with s.admin() as adm:
            r = adm.post("/v1/admin/accounts", json={"account_id": "admin"})
            assert r.status_code == 201
            assert (r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) == ("3", "2")
            user = httpx.Client(base_url=s.url, headers={"X-API-Key": r.json()["api_key"]})
            answers = [user.get("/v1/orders") for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
            limited = answers[-1]
            assert limited.json()["code"] == "RATE_LIMITED" and int(limited.headers["retry-after"]) >= 1
            assert int(limited.headers["ratelimit-reset"]) >= int(limited.headers["retry-after"])
            assert adm.get("/v1/admin/accounts").status_code == 200  # the admin's own bucket
        # (the server's start-up check already asked GET /v1/health from this address)
        anonymous = [httpx.get(s.url + "/v1/contracts") for _ in range(3)]
        assert [a.status_code for a in anonymous] == [200, 200, 429]
        assert anonymous[-1].json()["code"] == "RATE_LIMITED"
        bogus = httpx.get(s.url + "/v1/orders", headers={"X-API-Key": "sk_guess"})
        assert bogus.status_code == 429  # a wrong key is an anonymous caller: no guessing spree
