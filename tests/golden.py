"""Golden numbers from published work (tests import them; one place to check them).

EC car-emissions case of Bueno de Mesquita (1994), as tabulated by Scholz, Calbert & Smith
(2011): actor, capability, position, salience (0-100); round-0 weighted mean, vote median and
risk exponents with alliance_influence 0 and Q = T = 1.
"""

EC_ACTORS = [
    # actor, capability, position, salience (percent)
    ("Netherlands", 0.08, 4, 80),
    ("Belgium", 0.08, 7, 40),
    ("Luxembourg", 0.03, 4, 20),
    ("Germany", 0.16, 4, 80),
    ("France", 0.16, 10, 60),
    ("Italy", 0.16, 10, 60),
    ("UK", 0.16, 10, 90),
    ("Ireland", 0.05, 7, 10),
    ("Denmark", 0.05, 4, 100),
    ("Greece", 0.08, 7, 70),
]
EC_RISK = {
    "Netherlands": 1.1272,
    "Belgium": 0.7809,
    "Luxembourg": 0.5000,
    "Germany": 1.1272,
    "France": 1.0779,
    "Italy": 1.0779,
    "UK": 2.0000,
    "Ireland": 0.5248,
    "Denmark": 1.4717,
    "Greece": 1.1405,
}
EC_MEAN = 7.389955686853767
EC_MEDIAN = 7.0
